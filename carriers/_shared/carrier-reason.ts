/**
 * @module carriers/_shared/carrier-reason
 * A carrier's refusal of a void ("picked up", "manifested"), read from its error body: bounded and
 * on one line. The gateway turns it into a stable code and a sanitized text before a client sees
 * anything (src/shipments/void-refusal.ts).
 */
export function reasonText(text: string | undefined, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  const line = (text ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.slice(0, 200) || fallback;
}
