export { createMailer, MailDeliveryError, type Mailer, type MailerConfig, type MailMessage, SMTP_TIMEOUTS } from './mailer.js';
export { createOutboxRouter } from './outbox-router.js';
export * from './templates/index.js';
