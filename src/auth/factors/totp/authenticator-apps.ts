/**
 * Where to get an authenticator app, for the set-up page (seed 004 links to apps for
 * Android, iPhone and Windows). Names are product names and stay untranslated; the page
 * translates the platform label.
 */
export type AuthenticatorPlatform = 'android' | 'ios' | 'desktop';

export interface AuthenticatorApp {
  readonly name: string;
  readonly publisher: string;
  readonly platform: AuthenticatorPlatform;
  readonly url: string;
  /** Why a user might pick it, or what to know first; English, for the page to translate. */
  readonly note?: string;
}

export const authenticatorApps: readonly AuthenticatorApp[] = [
  {
    name: 'Google Authenticator',
    publisher: 'Google',
    platform: 'android',
    url: 'https://play.google.com/store/apps/details?id=com.google.android.apps.authenticator2',
  },
  {
    name: 'Google Authenticator',
    publisher: 'Google',
    platform: 'ios',
    url: 'https://apps.apple.com/app/google-authenticator/id388497605',
  },
  {
    name: 'Microsoft Authenticator',
    publisher: 'Microsoft',
    platform: 'android',
    url: 'https://play.google.com/store/apps/details?id=com.azure.authenticator',
  },
  {
    name: 'Microsoft Authenticator',
    publisher: 'Microsoft',
    platform: 'ios',
    url: 'https://apps.apple.com/app/microsoft-authenticator/id983156458',
  },
  {
    // Microsoft ships no authenticator for Windows, Authy's desktop app was retired in
    // 2024 and WinAuth is no longer maintained; KeePassXC is maintained and open source.
    name: 'KeePassXC',
    publisher: 'KeePassXC Team',
    platform: 'desktop',
    url: 'https://keepassxc.org/download/',
    note: 'Windows, macOS and Linux. It cannot scan the QR code: use "show secret key" and paste the key.',
  },
];
