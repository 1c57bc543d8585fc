import { z } from 'zod';

// What a browser posts back from navigator.credentials.create()/get() through
// @simplewebauthn/browser: checked for shape and size before any verification.
const b64url = (max: number) => z.string().min(1).max(max).regex(/^[\w-]+$/, 'base64url');

const common = {
  id: b64url(1400),
  rawId: b64url(1400),
  type: z.literal('public-key'),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
};

const registration = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(4096),
    attestationObject: b64url(32_768),
    transports: z.array(z.string().max(32)).max(10).optional(),
    authenticatorData: b64url(16_384).optional(),
    publicKey: b64url(4096).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
  }),
});

const authentication = z.object({
  ...common,
  response: z.object({
    clientDataJSON: b64url(4096),
    authenticatorData: b64url(16_384),
    signature: b64url(2048),
    userHandle: b64url(512).optional(),
  }),
});

/** The largest response accepted, as posted text (a form field carrying JSON). */
export const MAX_RESPONSE_CHARS = 48_000;

function parseJson(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (raw.length > MAX_RESPONSE_CHARS) return undefined;
  try {
    return JSON.parse(raw);
  } catch {
    return undefined;
  }
}

export function parseRegistrationResponse(raw: unknown) {
  const result = registration.safeParse(parseJson(raw));
  return result.success ? result.data : undefined;
}

export function parseAuthenticationResponse(raw: unknown) {
  const result = authentication.safeParse(parseJson(raw));
  return result.success ? result.data : undefined;
}
