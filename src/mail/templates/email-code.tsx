import type { Locale } from '../../model.js';
import {
  assertCode,
  cleanTitle,
  Code,
  Expiry,
  formatMailTime,
  formatMinutes,
  MailLayout,
  P,
  type RenderedMail,
  renderMailHtml,
  subjectWithTitle,
  textBody,
  Warning,
  automaticNotice,
} from './common.js';

export interface EmailCodeInput {
  locale: Locale;
  /** the organisation's system title (OrgSettings.systemTitle), shown in subject and sender */
  systemTitle?: string | undefined;
  /** the one-time password, 6 digits */
  code: string;
  /** when the code stops working, epoch ms */
  expiresAt: number;
  /** its lifetime, for "(60 minutes)" */
  minutes: number;
}

const copy = {
  ja: {
    subject: 'ワンタイムパスワードのお知らせ',
    heading: 'ワンタイムパスワードのお知らせ',
    lead: 'ログイン画面に次のワンタイムパスワードを入力してください。',
    label: 'ワンタイムパスワード：',
    expiry: (time: string, minutes: string) => `有効期限：${time}（${minutes}）`,
    warning:
      'このメールに心当たりがない場合は、第三者があなたのパスワードを使用している可能性があります。至急パスワードを変更してください。',
    neverShare: 'ワンタイムパスワードは他の人に教えないでください。',
  },
  en: {
    subject: 'Your one-time code',
    heading: 'Your one-time code',
    lead: 'Enter the following one-time code on the sign-in page.',
    label: 'One-time code:',
    expiry: (time: string, minutes: string) => `Valid until ${time} (${minutes}).`,
    warning: 'If this was not you, someone may know your password: change your password now.',
    neverShare: 'Never share this code with anyone.',
  },
} as const;

/** Seed 001: the email one-time password, naming its expiry and the "change your password" warning. */
export function emailCode(input: EmailCodeInput): RenderedMail {
  assertCode(input.code);
  const c = copy[input.locale];
  const title = cleanTitle(input.systemTitle);
  const subject = subjectWithTitle(input.locale, title, c.subject);
  const expiry = c.expiry(formatMailTime(input.expiresAt), formatMinutes(input.minutes, input.locale));

  const text = textBody(
    [c.lead, `${c.label}\n${input.code}`, expiry, c.neverShare, c.warning, automaticNotice(input.locale)],
    title,
  );
  const html = renderMailHtml(
    <MailLayout locale={input.locale} subject={subject} systemTitle={title} heading={c.heading}>
      <P>{c.lead}</P>
      <Code label={c.label} code={input.code} />
      <Expiry>{expiry}</Expiry>
      <P>{c.neverShare}</P>
      <Warning>{c.warning}</Warning>
    </MailLayout>,
  );
  return { subject, text, html };
}
