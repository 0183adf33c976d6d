/**
 * @module shipments/carrier-calls
 * The calls on a shipment that exists, sent through the one path to carrier APIs
 * (`CarrierApi.request`: credentials, the one renewal of a refused token, transport, health):
 * voiding it, and finding out whether a label whose answer was lost exists. What each carrier
 * sends and how its answer reads is the adapter's (`void`, `lookup` in carriers/<c>/); here only
 * what an answer means for the shipment.
 */
import type { ConfiguredAccount } from '../core/account.js';
import type { Label } from '../core/shipment.js';
import type { CarrierCall, LookupAnswer, ShipmentAtCarrier, VoidAnswer } from '../core/shipping-adapter.js';
import type { ApiResult, CarrierApi } from '../upstream/carrier-api.js';
import type { ShipmentStore } from './shipment-store.js';

/** How a void ended, over every call it took. */
export type VoidOutcome =
  | { kind: 'voided'; carrierSaid: 'voided' | 'gone' }
  | { kind: 'refused'; carrierCode?: string; reason: string; upstreamStatus: number }
  | { kind: 'not_offered'; instead: string }
  | { kind: 'not_described' }
  | { kind: 'unknown'; detail: string; upstreamStatus?: number };

function send(api: CarrierApi, account: ConfiguredAccount, call: CarrierCall): Promise<ApiResult> {
  const adapter = account.shipping!.adapter;
  return api.request(
    account,
    {
      method: call.method,
      path: `/${call.path}`,
      headers: { ...call.headers },
      body: call.body ?? null,
    },
    {
      source: 'shipment',
      // Refused before any processing: renewing the token and sending again changes nothing at the carrier.
      retry: { token: true, dependent: true },
      carrierCode: (status, body) => adapter.errorCode(status, body),
    },
  );
}

/** Voids every piece: each call in turn; the first refusal or unclear answer ends it. */
export async function voidAtCarrier(
  api: CarrierApi,
  account: ConfiguredAccount,
  target: ShipmentAtCarrier<unknown>,
): Promise<VoidOutcome> {
  const support = account.shipping?.adapter.void;
  if (!support) return { kind: 'not_described' };
  if (!support.offered) return { kind: 'not_offered', instead: support.instead };
  let carrierSaid: 'voided' | 'gone' = 'gone';
  for (const call of support.build(target)) {
    const answer = await send(api, account, call);
    if (answer.kind === 'not_sent') return { kind: 'unknown', detail: 'the carrier could not be reached' };
    if (answer.kind === 'lost') return { kind: 'unknown', detail: 'the void was sent and its answer lost' };
    if (answer.kind === 'no_credential') return { kind: 'unknown', detail: answer.error.message };
    if (answer.rejected !== null || answer.status === 429 || answer.status >= 500) {
      return {
        kind: 'unknown',
        detail: `the carrier answered ${answer.status}`,
        upstreamStatus: answer.status,
      };
    }
    const read: VoidAnswer = support.read(answer.status, answer.body);
    if (read.kind === 'refused') {
      return {
        kind: 'refused',
        reason: read.reason,
        upstreamStatus: answer.status,
        ...(read.carrierCode !== undefined ? { carrierCode: read.carrierCode } : {}),
      };
    }
    if (read.kind === 'unreadable') {
      return { kind: 'unknown', detail: 'the carrier answer was unreadable', upstreamStatus: answer.status };
    }
    if (read.kind === 'voided') carrierSaid = 'voided';
  }
  return { kind: 'voided', carrierSaid };
}

/**
 * Asks the carrier whether the label exists, with what it offers: a resend with the same carrier
 * idempotency key (the carrier answers with the label it made), or a search by reference.
 */
export async function lookUpAtCarrier(
  api: CarrierApi,
  account: ConfiguredAccount,
  target: ShipmentAtCarrier<unknown>,
): Promise<LookupAnswer & { method?: 'resend' | 'reference' }> {
  const shipping = account.shipping;
  const lookup = shipping?.adapter.lookup;
  if (!shipping || !lookup) return { kind: 'unknown' };
  if (lookup.method === 'resend') {
    if (!target.shipment) return { kind: 'unknown' };
    const call = shipping.adapter.build({
      shipment: target.shipment,
      settings: shipping.settings,
      carrierIdempotencyKey: target.carrierIdempotencyKey,
      shipmentId: target.shipmentId,
    });
    const answer = await send(api, account, call);
    if (answer.kind !== 'answered' || answer.status < 200 || answer.status > 299) return { kind: 'unknown' };
    const read = shipping.adapter.readSuccess(answer.status, answer.body);
    return read.kind === 'created'
      ? { kind: 'found', trackingNumbers: read.trackingNumbers, labels: read.labels, method: 'resend' }
      : { kind: 'unknown' };
  }
  const call = lookup.build?.(target);
  if (!call || !lookup.read) return { kind: 'unknown' };
  const answer = await send(api, account, call);
  if (answer.kind !== 'answered' || answer.rejected !== null) return { kind: 'unknown' };
  return { ...lookup.read(answer.status, answer.body), method: 'reference' };
}

/**
 * A search by reference also finds the client's earlier shipments with that reference: numbers the
 * gateway already holds for another shipment are not this one's. Nothing new left means absent.
 */
export async function onlyUnknownNumbers(
  records: ShipmentStore | undefined,
  shipment: { id: string; client: string; reference?: string },
  answer: LookupAnswer & { method?: 'resend' | 'reference' },
): Promise<LookupAnswer & { method?: 'resend' | 'reference' }> {
  if (answer.kind !== 'found' || answer.method !== 'reference' || !records) return answer;
  const others = await records.findByReference(shipment.client, shipment.reference ?? '');
  const known = new Set(
    others
      .filter((other) => other.record.id !== shipment.id)
      .flatMap((other) => other.record.trackingNumbers),
  );
  const numbers = answer.trackingNumbers.filter((number) => !known.has(number));
  return numbers.length > 0
    ? { ...answer, trackingNumbers: numbers }
    : { kind: 'absent', method: 'reference' };
}

/**
 * A search by reference answers with tracking numbers only; where the carrier offers a way to
 * fetch the label images (`lookup.recover`, UPS Label Recovery), each piece's image is fetched so
 * the shipment becomes `created` with its labels. Recovery failing does not make the label less
 * real: the answer stays `found`, without images, and says why.
 */
export async function recoverLabels(
  api: CarrierApi,
  account: ConfiguredAccount,
  target: ShipmentAtCarrier<unknown>,
  answer: LookupAnswer & { method?: 'resend' | 'reference' },
): Promise<LookupAnswer & { method?: 'resend' | 'reference' }> {
  const recover = account.shipping?.adapter.lookup?.recover;
  if (answer.kind !== 'found' || !recover || (answer.labels?.length ?? 0) > 0) return answer;
  const images = new Map<string, Label>();
  for (const number of answer.trackingNumbers) {
    if (images.has(number)) continue;
    const sent = await send(api, account, recover.build(target, number)).catch(() => undefined);
    if (sent?.kind !== 'answered' || sent.status < 200 || sent.status > 299) {
      return { ...answer, labelsMissing: `label recovery for ${number} got no answer it could use` };
    }
    const read = recover.read(sent.status, sent.body);
    if (!read?.length) return { ...answer, labelsMissing: `label recovery for ${number} returned no image` };
    for (const result of read) images.set(result.trackingNumber ?? number, result.label);
    if (!images.has(number)) images.set(number, read[0]!.label);
  }
  return { ...answer, labels: answer.trackingNumbers.map((number) => images.get(number)!) };
}

/**
 * Whether the label of an unknown outcome exists, as far as the carrier can say: the lookup, the
 * numbers of the client's other shipments set aside, and the label images fetched where needed.
 */
export async function findAtCarrier(
  api: CarrierApi,
  account: ConfiguredAccount,
  target: ShipmentAtCarrier<unknown>,
  records: ShipmentStore | undefined,
  shipment: { id: string; client: string; reference?: string },
): Promise<LookupAnswer & { method?: 'resend' | 'reference' }> {
  const answer = await lookUpAtCarrier(api, account, target);
  const own = await onlyUnknownNumbers(records, shipment, answer);
  return recoverLabels(api, account, target, own);
}
