/**
 * @module carriers/ups/tracking
 * UPS Tracking as a tracking adapter: `GET /api/track/v1/details/{inquiryNumber}` and its
 * `TrackApiResponse` read into events (newest first, as the spec says `activity` comes) and one
 * status. Fields cite ../shared/carrier-specs/ups/Tracking.yaml (`components.schemas.<name>`).
 *
 * What the spec does not give: the values of `Status.type` (only the example "X") and of
 * `Status.code` (example "SR"). The table below takes them from UPS's "API Codes" appendix as
 * connectors use them; every one is UNVERIFIED and listed in docs/carriers/unverified.md.
 */
import { parseJson } from '../../src/core/json.js';
import {
  newestFirst,
  statusOf,
  type StatusTable,
  type TrackingAdapter,
  type TrackingEvent,
  type TrackingStatus,
} from '../../src/core/tracking-adapter.js';

/** Tracking.yaml: `/track/v1/details/{inquiryNumber}` under the `/api` servers. */
export const UPS_TRACK_PATH = 'api/track/v1/details/';

/** Status.type ("The activity status type", example "X"). */
export const UPS_STATUS_TYPES: StatusTable = {
  name: 'UPS Status.type',
  source: '../shared/carrier-specs/ups/Tracking.yaml Status.type (values: UPS API Codes appendix, not saved)',
  codes: {
    M: 'pre_transit',
    P: 'in_transit',
    I: 'in_transit',
    X: 'exception',
    D: 'delivered',
    RS: 'returned',
  },
  unverified: ['M', 'P', 'I', 'X', 'D', 'RS'],
};

/** Status.code values that say more than their type (an in-transit "I" that is out for delivery). */
export const UPS_STATUS_CODES: StatusTable = {
  name: 'UPS Status.code',
  source: '../shared/carrier-specs/ups/Tracking.yaml Status.code (values: UPS API Codes appendix, not saved)',
  codes: { OT: 'out_for_delivery' },
  unverified: ['OT'],
};

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;

function statusFrom(status: Json | undefined): TrackingStatus {
  const byCode = statusOf(UPS_STATUS_CODES, text(status?.['code']));
  return byCode !== 'unknown' ? byCode : statusOf(UPS_STATUS_TYPES, text(status?.['type']));
}

/** Activity.date "YYYYMMDD", time "HHMMSS", gmtOffset "-05:00": local time with its offset. */
function activityTime(activity: Json): string | undefined {
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec(text(activity['date']) ?? '');
  if (!date) return undefined;
  const time = /^(\d{2})(\d{2})(\d{2})$/.exec((text(activity['time']) ?? '000000').padStart(6, '0'));
  const offset = /^[+-]\d{2}:\d{2}$/.test(text(activity['gmtOffset']) ?? '') ? activity['gmtOffset'] : 'Z';
  return `${date[1]}-${date[2]}-${date[3]}T${time?.[1] ?? '00'}:${time?.[2] ?? '00'}:${time?.[3] ?? '00'}${String(offset)}`;
}

/** Location.address (Address: city, stateProvince, countryCode). */
function place(activity: Json): string | undefined {
  const address = obj(obj(activity['location'])?.['address']);
  const parts = [text(address?.['city']), text(address?.['stateProvince']), text(address?.['countryCode'])];
  const named = parts.filter((part): part is string => part !== undefined);
  return named.length > 0 ? named.join(', ') : undefined;
}

function event(activity: Json): TrackingEvent | undefined {
  const status = obj(activity['status']);
  const at = activityTime(activity);
  if (!status || at === undefined) return undefined;
  const where = place(activity);
  return {
    at,
    status: statusFrom(status),
    description: text(status['description']) ?? text(status['simplifiedTextDescription']) ?? '',
    ...(where !== undefined ? { location: where } : {}),
    // The type and the code together: neither alone says what happened.
    carrierCode: [text(status['type']), text(status['code'])].filter(Boolean).join(':'),
  };
}

/** DeliveryDate.type "SDD - Scheduled Delivery Date RDD - Rescheduled Delivery Date DEL - Delivered Date". */
function estimatedDelivery(pkg: Json): string | undefined {
  const dates = array(pkg['deliveryDate']).flatMap((entry): Json[] => {
    const date = obj(entry);
    return date ? [date] : [];
  });
  const scheduled =
    dates.find((entry) => entry['type'] === 'RDD') ?? dates.find((entry) => entry['type'] === 'SDD');
  const date = /^(\d{4})(\d{2})(\d{2})$/.exec(text(scheduled?.['date']) ?? '');
  return date ? `${date[1]}-${date[2]}-${date[3]}` : undefined;
}

export const upsTracking: TrackingAdapter = {
  sources: ['../shared/carrier-specs/ups/Tracking.yaml'],
  statusTables: [UPS_STATUS_TYPES, UPS_STATUS_CODES],
  build(trackingNumber) {
    return {
      method: 'GET',
      // locale: "en_US" default; transId and transactionSrc come from decorateUpsRequest.
      path: `${UPS_TRACK_PATH}${encodeURIComponent(trackingNumber)}?locale=en_US&returnSignature=false`,
      headers: { accept: 'application/json' },
    };
  },
  read(status, body, trackingNumber) {
    // 404 "Tracking number information not found".
    if (status === 404) {
      const code = upsTracking.errorCode(status, body);
      return { kind: 'not_found', ...(code !== undefined ? { carrierCode: code } : {}) };
    }
    const shipment = obj(array(obj(obj(parseJson(body))?.['trackResponse'])?.['shipment'])[0]);
    if (!shipment) return { kind: 'unreadable' };
    const pkg = obj(array(shipment['package'])[0]);
    if (!pkg) {
      // Shipment.warnings without a package: UPS knows nothing of the number.
      const warning = text(obj(array(shipment['warnings'])[0])?.['code']);
      return { kind: 'not_found', ...(warning !== undefined ? { carrierCode: warning } : {}) };
    }
    const events = newestFirst(
      array(pkg['activity']).flatMap((entry) => {
        const read = obj(entry) ? event(obj(entry)!) : undefined;
        return read ? [read] : [];
      }),
    );
    const current = obj(pkg['currentStatus']);
    const estimate = estimatedDelivery(pkg);
    // DeliveryInformation.receivedBy: "The individual who took possession of the package at delivery".
    const signedBy = text(obj(pkg['deliveryInformation'])?.['receivedBy']);
    return {
      kind: 'tracked',
      result: {
        trackingNumber: text(pkg['trackingNumber']) ?? trackingNumber,
        status: current ? statusFrom(current) : (events[0]?.status ?? 'unknown'),
        events,
        ...(estimate !== undefined ? { estimatedDelivery: estimate } : {}),
        ...(signedBy !== undefined ? { signedBy } : {}),
      },
    };
  },
  errorCode(_status, body) {
    const errors = obj(obj(parseJson(body))?.['response'])?.['errors'];
    const code = obj(array(errors)[0])?.['code'];
    return typeof code === 'string' ? code : undefined;
  },
};
