export { emailCode, type EmailCodeInput } from './email-code.js';
export { emailVerification, type EmailVerificationInput } from './email-verification.js';
export { testMail, type TestMailInput } from './test-mail.js';
export { formatMailTime, MAIL_TIME_ZONE, MAIL_TIME_ZONE_NAME, type RenderedMail } from './common.js';
export { passwordReset, type PasswordResetInput } from './password-reset.js';
