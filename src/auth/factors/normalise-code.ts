/**
 * What a person types for a numeric code: full-width digits from a Japanese IME become
 * ASCII (NFKC); spaces and hyphens — or the IME's long-vowel mark or a minus sign typed
 * for one — are dropped. Every factor reads its codes through this one function.
 */
export function normaliseCode(input: string): string {
  return input.normalize('NFKC').replace(/[\s\-‐‑‒–—―−ー]/g, '');
}
