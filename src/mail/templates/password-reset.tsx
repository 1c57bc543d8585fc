import type { Locale } from '../../model.js';
import {
  assertHttpUrl,
  automaticNotice,
  cleanTitle,
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

export interface PasswordResetInput {
  locale: Locale;
  systemTitle?: string | undefined;
  username: string;
  /** the single-use link (absolute http(s) URL) */
  link: string;
  expiresAt: number;
  minutes: number;
}

const copy = {
  ja: {
    subject: 'パスワードの再設定',
    heading: 'パスワードの再設定',
    lead: (u: string) => `ユーザーID「${u}」のパスワード再設定の申し込みを受け付けました。次のURLを開いて新しいパスワードを設定してください。`,
    button: '新しいパスワードを設定する',
    expiry: (time: string, minutes: string) => `有効期限：${time}（${minutes}）`,
    singleUse: 'このURLは一度だけ使用できます。新しいパスワードを設定すると、すべてのセッションがログアウトします。',
    ignore: 'このメールに心当たりがない場合は、このメールを破棄してください。パスワードは変更されません。',
  },
  en: {
    subject: 'Reset your password',
    heading: 'Reset your password',
    lead: (u: string) => `We received a request to reset the password of user ID "${u}". Open the link below to set a new password.`,
    button: 'Set a new password',
    expiry: (time: string, minutes: string) => `Valid until ${time} (${minutes}).`,
    singleUse: 'The link works once. Setting a new password signs out every session.',
    ignore: 'If you did not request this, ignore this mail: your password stays as it is.',
  },
} as const;

/** The "forgot password" mail: a single-use, expiring link (seed 002). */
export function passwordReset(input: PasswordResetInput): RenderedMail {
  assertHttpUrl(input.link);
  const c = copy[input.locale];
  const title = cleanTitle(input.systemTitle);
  const subject = subjectWithTitle(input.locale, title, c.subject);
  const expiry = c.expiry(formatMailTime(input.expiresAt), formatMinutes(input.minutes, input.locale));
  const text = textBody([c.lead(input.username), input.link, expiry, c.singleUse, c.ignore, automaticNotice(input.locale)], title);
  const html = renderMailHtml(
    <MailLayout locale={input.locale} subject={subject} systemTitle={title} heading={c.heading}>
      <P>{c.lead(input.username)}</P>
      <LinkButton href={input.link} label={c.button} />
      <RawLink href={input.link} />
      <Expiry>{expiry}</Expiry>
      <P>{c.singleUse}</P>
      <Warning>{c.ignore}</Warning>
    </MailLayout>,
  );
  return { subject, text, html };
}
