/**
 * @module shipments/void-refusal
 * What a client learns when a carrier refuses a void. The architecture rule is that carrier bodies
 * never reach clients: they may hold tokens, account numbers, other shipments' numbers, internal
 * hosts. A refusal is still something the shipping app must act on ("too late: it was picked
 * up"), so it gets:
 * - `reason`, a stable code: `too_late` (the carrier says the shipment has moved on: manifested,
 *   picked up, tendered, in a Shipping Services File) or `refused` (any other refusal);
 * - `carrierReason`, the carrier's message cut down: one line, at most REASON_MAX characters,
 *   with web and mail addresses and every id-like word removed unless it is the shipment's own
 *   (its tracking numbers, id or reference).
 *
 * No carrier documents a code for "too late" in the saved specs, so the code is read from the
 * words their refusals use (REASON_SOURCES below), and anything else is `refused`.
 */

export type VoidRefusalReason = 'too_late' | 'refused';

/** How long the passed-on text may be; the problem's `detail` adds a fixed prefix to it. */
export const REASON_MAX = 120;

/**
 * The carriers' words for a shipment that can no longer be voided:
 * - UPS: no code or wording in Shipping.yaml (VoidShipment); UPS's void window ends at pickup
 *   ("picked up", UNVERIFIED wording, docs/carriers/unverified.md);
 * - FedEx Shipment-Resource.json Cancel Shipment: "shipments that have not already been tendered";
 * - DHL Parcel DE parcel-de-shipping-v2_2.yaml: shipments are closed by the day's manifest
 *   ("manifest");
 * - USPS domestic-labels.yaml: "If a Shipping Services File has been created, submit a refund
 *   request", and ExampleCancelError_REFUND_NOT_SUBMITTED "A refund request for this order cannot
 *   be submitted".
 */
const TOO_LATE =
  /manifest|picked[ -]?up|pick[ -]?up|tendered|shipping services file|refund request|already (?:scanned|shipped|in transit)|closed out/i;

const ADDRESS = /\b(?:https?:\/\/|www\.)\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+/gi;
/** A word that may be an id, a number or a secret: 6+ characters with a digit, or 20+ of any. */
const WORD = /[A-Za-z0-9][A-Za-z0-9._~+/=:-]*/g;
const REDACTED = '[…]';

function idLike(word: string): boolean {
  const core = word.replace(/[.:;,]+$/, '');
  if (core.length >= 20) return true;
  return core.length >= 6 && /\d/.test(core);
}

/** The stable code for a refusal, from the carrier's words. */
export function refusalReason(carrierText: string): VoidRefusalReason {
  return TOO_LATE.test(carrierText) ? 'too_late' : 'refused';
}

/**
 * The carrier's message as a client may see it: one line, addresses and foreign ids removed,
 * at most REASON_MAX characters. `own` are the shipment's own identifiers, kept as they are.
 */
export function sanitizedReason(carrierText: string, own: readonly string[]): string {
  // eslint-disable-next-line no-control-regex
  let line = carrierText.replace(/[\u0000-\u001f\u007f]+/g, ' ');
  // The shipment's own identifiers stand aside as placeholders (\u0001<n>\u0002) while the rest
  // is cleaned, so a reference with spaces or an id-like tracking number comes back whole.
  const kept = [...new Set(own.filter((value) => value.trim() !== ''))].sort((a, b) => b.length - a.length);
  kept.forEach((value, index) => {
    line = line.split(value).join(`\u0001${index}\u0002`);
  });
  const cleaned = line
    .replace(ADDRESS, REDACTED)
    .replace(WORD, (word) => {
      const core = word.replace(/[.:;,]+$/, '');
      return idLike(word) ? REDACTED + word.slice(core.length) : word;
    })
    // eslint-disable-next-line no-control-regex
    .replace(/\u0001(\d+)\u0002/g, (_match, index: string) => kept[Number(index)]!)
    .replace(/\s+/g, ' ')
    .trim();
  if (cleaned.length <= REASON_MAX) return cleaned;
  const cut = cleaned.slice(0, REASON_MAX - 1);
  const space = cut.lastIndexOf(' ');
  return `${space > REASON_MAX / 2 ? cut.slice(0, space) : cut}…`;
}
