import type { MessageKey } from './i18n/index.js';

/**
 * One base error with an HTTP status, a stable code and a message key; the error
 * middleware renders it as a page (or JSON) in the request's language.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly messageKey: MessageKey,
    readonly vars: Record<string, string | number> = {},
    /** where the user can continue, when there is such a place */
    readonly continueUrl?: string,
  ) {
    super(code);
    this.name = new.target.name;
  }
}

export class BadRequestError extends AppError {
  constructor(detail: string) {
    super(400, 'bad_request', 'error.badRequest', { detail });
  }
}
export class CsrfError extends AppError {
  constructor() {
    super(403, 'invalid_csrf_token', 'error.csrf');
  }
}
export class FlowExpiredError extends AppError {
  constructor() {
    super(410, 'interaction_expired', 'error.expired');
  }
}
export class OutOfOrderError extends AppError {
  constructor(continueUrl: string) {
    super(409, 'step_not_current', 'error.outOfOrder', {}, continueUrl);
  }
}
export class NotFoundError extends AppError {
  constructor() {
    super(404, 'not_found', 'error.notFound');
  }
}
export class MethodNotAllowedError extends AppError {
  constructor() {
    super(405, 'method_not_allowed', 'error.methodNotAllowed');
  }
}
export class PayloadTooLargeError extends AppError {
  constructor() {
    super(413, 'payload_too_large', 'error.tooLarge');
  }
}
export class MalformedBodyError extends AppError {
  constructor() {
    super(400, 'malformed_body', 'error.malformed');
  }
}
export class UnavailableError extends AppError {
  constructor() {
    super(503, 'temporarily_unavailable', 'error.unavailable');
  }
}
