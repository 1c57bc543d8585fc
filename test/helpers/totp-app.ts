import { totpCode } from './mfa.js';

const PERIOD = 30;
const currentStep = () => Math.floor(Date.now() / 1000 / PERIOD);

/**
 * The user's authenticator app in browser tests: codes from the test's own RFC 6238
 * generator, each time step used once (the IdP refuses replays), within the server's
 * ±1 step window, waiting for the next step only when the window is used up.
 */
export class TotpApp {
  constructor(
    readonly secret: string,
    /** the last step whose code was used; by default a key just set up has used none */
    private lastStep = currentStep() - 1,
  ) {}

  /** A key just shown on a set-up page: its first code is the current step's. */
  static fresh(secret: string): TotpApp {
    return new TotpApp(secret);
  }

  /** The code of the current step (what a set-up page is given). */
  now(): string {
    this.lastStep = Math.max(this.lastStep, currentStep());
    return totpCode(this.secret);
  }

  /** A code of a step not used yet. */
  async next(): Promise<string> {
    for (;;) {
      const current = currentStep();
      const step = Math.max(current - 1, this.lastStep + 1);
      if (step <= current + 1) {
        this.lastStep = step;
        return totpCode(this.secret, step - current);
      }
      await new Promise((r) => setTimeout(r, (current + 1) * PERIOD * 1000 - Date.now() + 50));
    }
  }

  /** The step last used, as a code (a replay). */
  used(): string {
    return totpCode(this.secret, this.lastStep - currentStep());
  }

  /** Six digits that no step in the window accepts. */
  wrong(): string {
    const valid = new Set([-2, -1, 0, 1, 2].map((o) => totpCode(this.secret, o)));
    return ['000000', '111111', '222222', '333333'].find((c) => !valid.has(c))!;
  }
}
