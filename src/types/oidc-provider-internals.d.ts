// oidc-provider 9 has no public API to change the signing keys of a running provider;
// src/oidc/key-refresh.ts calls the function its constructor uses (see there).
declare module 'oidc-provider/lib/helpers/initialize_keystore.js' {
  export default function initializeKeystore(this: object, jwks: { keys: unknown[] }): void;
}
