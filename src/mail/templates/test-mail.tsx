import type { Locale } from '../../model.js';
import { automaticNotice, cleanTitle, MailLayout, P, type RenderedMail, renderMailHtml, subjectWithTitle, textBody } from './common.js';

export interface TestMailInput {
  locale: Locale;
  systemTitle?: string | undefined;
}

const copy = {
  ja: {
    subject: 'テストメール',
    heading: 'テストメール',
    lead: 'このメールは、二段階認証用メールアドレスの受信確認のために送信したテストメールです。',
    ok: 'このメールが届いていれば、ワンタイムパスワードのメールも受信できます。操作は必要ありません。',
    notYou: 'このメールに心当たりがない場合は、このメールを破棄してください。',
  },
  en: {
    subject: 'Test mail',
    heading: 'Test mail',
    lead: 'This is a test mail, sent to check that your two-step verification address receives mail.',
    ok: 'If you can read this, one-time code mails will reach you too. Nothing else to do.',
    notYou: 'If you did not request this, ignore this mail.',
  },
} as const;

/** Seed 001: users send a test mail to their 2FA address. */
export function testMail(input: TestMailInput): RenderedMail {
  const c = copy[input.locale];
  const title = cleanTitle(input.systemTitle);
  const subject = subjectWithTitle(input.locale, title, c.subject);
  const text = textBody([c.lead, c.ok, c.notYou, automaticNotice(input.locale)], title);
  const html = renderMailHtml(
    <MailLayout locale={input.locale} subject={subject} systemTitle={title} heading={c.heading}>
      <P>{c.lead}</P>
      <P>{c.ok}</P>
      <P>{c.notYou}</P>
    </MailLayout>,
  );
  return { subject, text, html };
}
