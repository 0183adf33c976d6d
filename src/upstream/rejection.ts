/**
 * @module upstream/rejection
 * How a carrier API says "this credential is not accepted".
 */

/** RFC 9110 11.6.1: a challenge of `scheme` among the WWW-Authenticate values. */
export function hasChallenge(value: string | string[] | undefined, scheme: string): boolean {
  if (value === undefined) return false;
  const lower = scheme.toLowerCase();
  return (Array.isArray(value) ? value : [value]).some((entry) =>
    entry.split(',').some((part) => {
      const token = part.trim().toLowerCase();
      return token === lower || token.startsWith(`${lower} `);
    }),
  );
}
