/**
 * @module carriers/fedex/tracking
 * FedEx Track as a tracking adapter: `POST /track/v1/trackingnumbers` for one number with
 * detailed scans, its `completeTrackResults[0].trackResults[0]` read into events and a status.
 * Fields cite ../shared/carrier-specs/fedex/TrackingNumbers-Resource.json
 * (`components.schemas.<name>`).
 *
 * The spec names its status codes only by example: StatusDetail.code "PU,DE,DP,HL,OC", and
 * ScanEvent.derivedStatusCode 'PU' with derivedStatus 'Picked Up'. Only PU's meaning is given; the
 * others' meanings, and the codes beyond them, are UNVERIFIED (docs/carriers/unverified.md).
 */
import { parseJson } from '../../src/core/json.js';
import {
  newestFirst,
  statusOf,
  type StatusTable,
  type TrackingAdapter,
  type TrackingEvent,
} from '../../src/core/tracking-adapter.js';

export const FEDEX_TRACK_PATH = 'track/v1/trackingnumbers';

/** StatusDetail.code / derivedCode and ScanEvent.derivedStatusCode / eventType. */
export const FEDEX_STATUS_CODES: StatusTable = {
  name: 'FedEx StatusDetail.code, ScanEvent.derivedStatusCode',
  source: '../shared/carrier-specs/fedex/TrackingNumbers-Resource.json StatusDetail.code, ScanEvent',
  codes: {
    OC: 'pre_transit',
    PU: 'in_transit',
    DP: 'in_transit',
    AR: 'in_transit',
    IT: 'in_transit',
    OD: 'out_for_delivery',
    DL: 'delivered',
    HL: 'available_for_pickup',
    DE: 'exception',
    SE: 'exception',
    RS: 'returned',
  },
  unverified: ['OC', 'DP', 'AR', 'IT', 'OD', 'DL', 'HL', 'DE', 'SE', 'RS'],
};

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
const objects = (value: unknown): Json[] =>
  array(value).flatMap((entry): Json[] => {
    const found = obj(entry);
    return found ? [found] : [];
  });

/** ScanEvent.scanLocation (AddressVO1: city, stateOrProvinceCode, countryCode). */
function place(location: Json | undefined): string | undefined {
  const parts = [
    text(location?.['city']),
    text(location?.['stateOrProvinceCode']),
    text(location?.['countryCode']),
  ];
  const named = parts.filter((part): part is string => part !== undefined);
  return named.length > 0 ? named.join(', ') : undefined;
}

/** ScanEvent: date "2018-02-02T12:01:00-07:00", eventType, derivedStatusCode, eventDescription. */
function event(scan: Json): TrackingEvent | undefined {
  const at = text(scan['date']);
  const code = text(scan['derivedStatusCode']) ?? text(scan['eventType']);
  if (at === undefined || code === undefined) return undefined;
  const where = place(obj(scan['scanLocation']));
  return {
    at,
    status: statusOf(FEDEX_STATUS_CODES, code),
    description: text(scan['eventDescription']) ?? text(scan['derivedStatus']) ?? '',
    ...(where !== undefined ? { location: where } : {}),
    carrierCode: text(scan['eventType']) ?? code,
  };
}

/** TrackingDateAndTime.type ESTIMATED_DELIVERY (dateTime "2007-09-27T00:00:00"). */
function estimatedDelivery(result: Json): string | undefined {
  const estimate = objects(result['dateAndTimes']).find((entry) => entry['type'] === 'ESTIMATED_DELIVERY');
  return text(estimate?.['dateTime']);
}

export const fedexTracking: TrackingAdapter = {
  sources: ['../shared/carrier-specs/fedex/TrackingNumbers-Resource.json'],
  statusTables: [FEDEX_STATUS_CODES],
  build(trackingNumber) {
    return {
      method: 'POST',
      path: FEDEX_TRACK_PATH,
      headers: { 'content-type': 'application/json', 'x-locale': 'en_US' },
      // Full_Schema_Tracking_Numbers: includeDetailedScans and trackingInfo are required.
      body: JSON.stringify({
        includeDetailedScans: true,
        trackingInfo: [{ trackingNumberInfo: { trackingNumber } }],
      }),
    };
  },
  read(_status, body, trackingNumber) {
    const output = obj(obj(parseJson(body))?.['output']);
    const complete = objects(output?.['completeTrackResults'])[0];
    const result = objects(complete?.['trackResults'])[0];
    if (!result) return { kind: 'unreadable' };
    // TrackResult.error (CXSError): "TRACKING.TRACKINGNUMBER.NOTFOUND" and its kin.
    const error = text(obj(result['error'])?.['code']);
    if (error !== undefined && /NOTFOUND/.test(error)) return { kind: 'not_found', carrierCode: error };
    const latest = obj(result['latestStatusDetail']);
    const events = newestFirst(objects(result['scanEvents']).flatMap((scan) => event(scan) ?? []));
    const code = text(latest?.['derivedCode']) ?? text(latest?.['code']);
    const estimate = estimatedDelivery(result);
    // DeliveryDetails.signedByName "the person who signed for the package, if applicable".
    const signedBy = text(obj(result['deliveryDetails'])?.['signedByName']);
    return {
      kind: 'tracked',
      result: {
        trackingNumber: text(obj(result['trackingNumberInfo'])?.['trackingNumber']) ?? trackingNumber,
        status: code !== undefined ? statusOf(FEDEX_STATUS_CODES, code) : (events[0]?.status ?? 'unknown'),
        events,
        ...(estimate !== undefined ? { estimatedDelivery: estimate } : {}),
        ...(signedBy !== undefined ? { signedBy } : {}),
      },
    };
  },
  errorCode(_status, body) {
    const code = obj(objects(obj(parseJson(body))?.['errors'])[0])?.['code'];
    return typeof code === 'string' ? code : undefined;
  },
};
