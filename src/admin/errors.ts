import { AppError } from '../errors.js';
import type { MessageKey } from '../i18n/index.js';

/**
 * A refused administration request. `detail` is the English explanation the admin API
 * and the CLI give; the pages show `messageKey` in the page's language. `field` names the
 * input at fault (a JSON property, a form field), when there is one.
 */
export class AdminError extends AppError {
  constructor(
    status: number,
    code: string,
    messageKey: MessageKey,
    readonly detail: string,
    readonly field?: string,
    vars: Record<string, string | number> = {},
  ) {
    super(status, code, messageKey, vars);
  }
}

/** Unknown ids and ids of another organisation get the same answer: nothing is revealed. */
export class AdminNotFoundError extends AdminError {
  constructor(what: 'user' | 'organisation' | 'upstream' | 'link' | 'resource') {
    const key = what === 'user' ? 'admin.error.userNotFound' : what === 'organisation' ? 'admin.error.orgNotFound' : 'error.notFound';
    super(404, 'not_found', key, `no such ${what}`);
  }
}

export class AdminInvalidError extends AdminError {
  constructor(field: string, detail: string, messageKey: MessageKey = 'admin.error.invalid', vars: Record<string, string | number> = {}) {
    super(400, 'invalid_request', messageKey, `${field}: ${detail}`, field, vars);
  }
}

export class UsernameTakenError extends AdminError {
  constructor(username: string) {
    super(409, 'username_taken', 'admin.error.usernameTaken', `username: user "${username}" already exists in this organisation`, 'username');
  }
}

/** An administrator may not lock themselves out through their own pages. */
export class SelfActionError extends AdminError {
  constructor(action: string) {
    super(409, 'own_account', 'admin.error.ownAccount', `you cannot ${action} your own account here`);
  }
}

export class MailCooldownError extends AdminError {
  constructor(seconds: number) {
    super(429, 'mail_cooldown', 'email.cooldown', `a mail was sent to this user moments ago; try again in ${seconds} s`, 'email', { seconds });
  }
}

export class MailFailedError extends AdminError {
  constructor() {
    super(503, 'mail_delivery_failed', 'email.deliveryFailed', 'the confirmation mail could not be delivered; check the address and the mail server');
  }
}
