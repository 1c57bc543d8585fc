import { AppError } from '../errors.js';

/** No account session (or it ended with the sign-in session): GET requests are sent to sign in. */
export class SignInRequiredError extends AppError {
  constructor(continueUrl: string) {
    super(401, 'sign_in_required', 'account.signInRequired', {}, continueUrl);
  }
}

/** The account sign-in came back without a valid code, state or verifier. */
export class AccountSignInFailedError extends AppError {
  constructor(continueUrl: string) {
    super(400, 'account_sign_in_failed', 'account.signInFailed', {}, continueUrl);
  }
}

/** The change needs a second factor proven in the last few minutes. */
export class StepUpRequiredError extends AppError {
  constructor(continueUrl: string) {
    super(403, 'step_up_required', 'account.stepUpRequired', {}, continueUrl);
  }
}

/** The user's organisation requires MFA: the last usable factor cannot go. */
export class LastFactorError extends AppError {
  constructor() {
    super(409, 'last_factor', 'account.lastFactor', {}, '/account/security');
  }
}

/** Forgot-password and similar anonymous forms, asked for too often. */
export class TooManyRequestsError extends AppError {
  constructor(seconds: number) {
    super(429, 'too_many_requests', 'account.tooMany', { seconds });
  }
}
