/**
 * @module carriers/laposte/tracking
 * La Poste Suivi v2 as a tracking adapter: `GET /suivi/v2/idships/{idship}` (servers
 * `https://api.laposte.fr/suivi/v2`) for one number, its unitary answer (baseResponse +
 * suiviShipment) read into events and a status. Fields cite
 * ../shared/carrier-specs/laposte/la-poste-groupe-suivi-openapi.json (`components.schemas.<name>`).
 *
 * The spec gives one event code, by example (event.code "ET2", label "Votre colis est en cours
 * de distribution"), and `shipmentPropPub.isFinal` "Is object delivered?". The other codes are
 * La Poste's published list as connectors use it: UNVERIFIED (docs/carriers/unverified.md).
 */
import { parseJson } from '../../src/core/json.js';
import {
  newestFirst,
  statusOf,
  type StatusTable,
  type TrackingAdapter,
  type TrackingEvent,
} from '../../src/core/tracking-adapter.js';

export const LAPOSTE_TRACK_PATH = 'suivi/v2/idships/';

/** event.code. */
export const LAPOSTE_EVENT_CODES: StatusTable = {
  name: 'La Poste event.code',
  source: '../shared/carrier-specs/laposte/la-poste-groupe-suivi-openapi.json event.code (example ET2 only)',
  codes: {
    DR1: 'pre_transit',
    PC1: 'in_transit',
    PC2: 'in_transit',
    ET1: 'in_transit',
    ET2: 'in_transit',
    ET3: 'in_transit',
    ET4: 'in_transit',
    EP1: 'in_transit',
    DO1: 'in_transit',
    DO2: 'in_transit',
    DO3: 'in_transit',
    MD2: 'out_for_delivery',
    AG1: 'available_for_pickup',
    DI1: 'delivered',
    DI2: 'returned',
    RE1: 'returned',
    PB1: 'exception',
    PB2: 'exception',
    ND1: 'exception',
  },
  unverified: [
    'DR1',
    'PC1',
    'PC2',
    'ET1',
    'ET3',
    'ET4',
    'EP1',
    'DO1',
    'DO2',
    'DO3',
    'MD2',
    'AG1',
    'DI1',
    'DI2',
    'RE1',
    'PB1',
    'PB2',
    'ND1',
  ],
};

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

/** event: date "aaaa-mm-jjThh:mn:ss+hh:mn", label, code (all required with `order`). */
function event(entry: Json): TrackingEvent | undefined {
  const at = text(entry['date']);
  const code = text(entry['code']);
  if (at === undefined || code === undefined) return undefined;
  return {
    at,
    status: statusOf(LAPOSTE_EVENT_CODES, code),
    description: text(entry['label']) ?? '',
    carrierCode: code,
  };
}

/** baseResponse.returnCode of an error body, as the carrier's code. */
function errorCode(_status: number, body: string): string | undefined {
  const parsed = parseJson(body);
  const item = obj(Array.isArray(parsed) ? parsed[0] : parsed);
  const code = item?.['returnCode'];
  return typeof code === 'number' || typeof code === 'string' ? String(code) : undefined;
}

export const laposteTracking: TrackingAdapter = {
  sources: ['../shared/carrier-specs/laposte/la-poste-groupe-suivi-openapi.json'],
  statusTables: [LAPOSTE_EVENT_CODES],
  build(trackingNumber) {
    return {
      method: 'GET',
      // langQ: fr_FR by default; en_GB for labels a shop can show beside English statuses.
      path: `${LAPOSTE_TRACK_PATH}${encodeURIComponent(trackingNumber)}?lang=en_GB`,
      // acceptH: required, "Only json".
      headers: { accept: 'application/json' },
    };
  },
  read(status, body, trackingNumber) {
    // response404: returnCode 104, "Votre suivi n'est pas encore disponible".
    if (status === 404) {
      const code = errorCode(status, body);
      return { kind: 'not_found', ...(code !== undefined ? { carrierCode: code } : {}) };
    }
    const parsed = parseJson(body);
    const item = obj(Array.isArray(parsed) ? parsed[0] : parsed);
    const shipment = obj(item?.['shipment']);
    if (!shipment) return { kind: 'unreadable' };
    const events = newestFirst(
      array(shipment['event']).flatMap((entry) => {
        const read = obj(entry) ? event(obj(entry)!) : undefined;
        return read ? [read] : [];
      }),
    );
    const estimate = text(shipment['estimDate']);
    return {
      kind: 'tracked',
      result: {
        trackingNumber: text(shipment['idShip']) ?? trackingNumber,
        // shipmentPropPub.isFinal: "Is object delivered?".
        status: shipment['isFinal'] === true ? 'delivered' : (events[0]?.status ?? 'unknown'),
        events,
        ...(estimate !== undefined ? { estimatedDelivery: estimate } : {}),
      },
    };
  },
  errorCode,
};
