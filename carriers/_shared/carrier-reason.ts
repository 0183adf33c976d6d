/**
 * @module carriers/_shared/carrier-reason
 * A carrier's refusal of a void ("picked up", "manifested") is what the shipping app needs to act
 * on, so it is passed on as the problem's reason: bounded and on one line, never a body.
 */
export function reasonText(text: string | undefined, fallback: string): string {
  // eslint-disable-next-line no-control-regex
  const line = (text ?? '').replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return line.slice(0, 200) || fallback;
}
