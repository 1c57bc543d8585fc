import type { Locale } from '../../model.js';
import {
  assertCode,
  assertHttpUrl,
  automaticNotice,
  cleanTitle,
  Code,
  Expiry,
  formatMailTime,
  formatMinutes,
  LinkButton,
  MailLayout,
  P,
  RawLink,
  type RenderedMail,
  renderMailHtml,
  subjectWithTitle,
  textBody,
  Warning,
} from './common.js';

export interface EmailVerificationInput {
  locale: Locale;
  systemTitle?: string | undefined;
  /** the confirmation code, for entering on the page that is still open */
  code: string;
  /** the single-use confirmation link (absolute http(s) URL) */
  link: string;
  /** when code and link stop working, epoch ms */
  expiresAt: number;
  minutes: number;
}

const copy = {
  ja: {
    subject: '二段階認証用メールアドレスの確認',
    heading: 'メールアドレスの確認',
    lead: '二段階認証用のメールアドレスとしてこのアドレスが仮登録されました。次のURLをクリックして本登録を完了してください。',
    button: 'メールアドレスを確認する（本登録）',
    orCode: '登録画面を開いたままの場合は、次の確認コードを入力しても登録できます。',
    label: '確認コード：',
    expiry: (time: string, minutes: string) => `有効期限：${time}（${minutes}）`,
    singleUse: 'このURLは一度だけ使用できます。有効期限を過ぎた場合は、もう一度登録をやり直してください。',
    ignore: 'このメールに心当たりがない場合は、このメールを破棄してください。登録は完了しません。',
  },
  en: {
    subject: 'Confirm your two-step verification email address',
    heading: 'Confirm your email address',
    lead: 'This address was entered for two-step verification. Open the link below to confirm it.',
    button: 'Confirm my email address',
    orCode: 'If the registration page is still open, you can enter this confirmation code instead.',
    label: 'Confirmation code:',
    expiry: (time: string, minutes: string) => `Valid until ${time} (${minutes}).`,
    singleUse: 'The link works once. After it expires, start the registration again.',
    ignore: 'If you did not request this, ignore this mail: nothing will be registered.',
  },
} as const;

/** Seed 000: provisional (仮登録) 2FA address, confirmed (本登録) by the mailed link or code. */
export function emailVerification(input: EmailVerificationInput): RenderedMail {
  assertCode(input.code);
  assertHttpUrl(input.link);
  const c = copy[input.locale];
  const title = cleanTitle(input.systemTitle);
  const subject = subjectWithTitle(input.locale, title, c.subject);
  const expiry = c.expiry(formatMailTime(input.expiresAt), formatMinutes(input.minutes, input.locale));

  const text = textBody(
    [c.lead, input.link, `${c.orCode}\n${c.label}\n${input.code}`, expiry, c.singleUse, c.ignore, automaticNotice(input.locale)],
    title,
  );
  const html = renderMailHtml(
    <MailLayout locale={input.locale} subject={subject} systemTitle={title} heading={c.heading}>
      <P>{c.lead}</P>
      <LinkButton href={input.link} label={c.button} />
      <RawLink href={input.link} />
      <P>{c.orCode}</P>
      <Code label={c.label} code={input.code} />
      <Expiry>{expiry}</Expiry>
      <P>{c.singleUse}</P>
      <Warning>{c.ignore}</Warning>
    </MailLayout>,
  );
  return { subject, text, html };
}
