/**
 * @module carriers/dhl-express/simulator
 * Loopback simulator of DHL Express's MyDHL API: HTTP Basic on every call (no token endpoint),
 * the required `x-version` header, `Message-Reference` checks, and three operations
 * (`GET /address-validate`, `GET /shipments/{shipmentTrackingNumber}/tracking`, `POST /shipments`)
 * under the production base `/mydhlapi` and the test base `/mydhlapi/test`. Written from
 * `shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml` [MYDHL-SPEC] and
 * `carrier-auth-facts.md` §3b ([MYDHL], [KAR-MYDHL], [SHIPPY-I7]). Every choice the sources leave
 * open is marked UNVERIFIED where it is made.
 *
 * Faults: the kit applies throttling, 5xx and "error in a 200 body" only to token endpoints, and
 * MyDHL has none. This simulator therefore applies `throttle` and `tokenServerErrors` (with
 * `tokenServerErrorStatus`) to API calls itself; `apiLatencyMs`, `outage` and `skewSeconds` are
 * applied by the kit as for every carrier. `tokenLatencyMs`, `errorInSuccessBody`,
 * `tokenLifetimeSeconds` and `prematureExpirySeconds` have nothing to act on here. The kit applies
 * `shipmentFault` to `POST /shipments` with the answers of `shipmentFault()` below; each shipment
 * created counts one label (`labelsCreated`).
 */
import { randomBytes, randomUUID } from 'node:crypto';

import {
  basicCredentials,
  defaultFaults,
  freezeFaults,
  header,
  json,
  jsonOf,
  startSimulator,
  type CarrierDefinition,
  type ReadDefinition,
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
} from '../../src/sim/index.js';
import { dhlExpressRateAnswer } from './rates-simulator.js';
import { dateAndTime, journeyEvents, type DhlTrackingEvent } from './tracking-simulator.js';

/** [MYDHL-SPEC] `servers`: production `.../mydhlapi`, test `.../mydhlapi/test` (the mock server also uses `/mydhlapi`). */
export const DHL_EXPRESS_BASE_PATHS = {
  production: '/mydhlapi',
  test: '/mydhlapi/test',
} as const;

/** Resource paths below a base path ([MYDHL-SPEC] `paths`). */
export const DHL_EXPRESS_RESOURCES = {
  addressValidate: '/address-validate',
  shipments: '/shipments',
  tracking: (shipmentTrackingNumber: string) =>
    `/shipments/${encodeURIComponent(shipmentTrackingNumber)}/tracking`,
} as const;

/** [MYDHL-SPEC] xVersionHeader: required, "Interface version - do not change this field value", default 3.1.0. */
export const DHL_EXPRESS_SPEC_X_VERSION = '3.1.0';

/** [MYDHL-SPEC] messageReferenceHeader `minLength: 1`, `maxLength: 36`. */
const MESSAGE_REFERENCE_MAX = 36;

/**
 * [MYDHL-SPEC] `GET /shipments/{shipmentTrackingNumber}/tracking` description: "when testing the
 * Tracking service, only the waybill numbers below are loaded and any production waybill numbers
 * or ones created via shipment will not be trackable".
 */
export const DHL_EXPRESS_TEST_WAYBILLS: readonly string[] = Object.freeze([
  '9356579890',
  '4818240420',
  '5584773180',
  '5786694550',
  '2449648740',
  '5980622760',
  '5980622970',
  '5980623180',
  '5980770460',
  '6781059250',
  '9077880070',
  '5786694760',
  '7957673080',
  '5786696720',
  '8066924740',
]);

/**
 * MyDHL issues no tokens ([MYDHL] §3b.4), so the lifetime is meaningless; 0 keeps the kit's
 * fault shape without pretending there is one.
 */
export const DHL_EXPRESS_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(defaultFaults(0));

/**
 * A small CreateShipmentRequest the simulator accepts, for tests and the demo: only the keys
 * [MYDHL-SPEC] supermodelIoLogisticsExpressCreateShipmentRequest requires, plus address lines and
 * package dimensions (test/carriers/dhl-express/gateway.contract.test.ts validates it against the spec).
 * `plannedShippingDateAndTime` must be "not in the past or more than 10 days in the future", in the
 * form `2025-01-18T17:00:00 GMT+01:00`: the next day at 17:00 UTC.
 */
export function dhlExpressExampleShipment(nowMs: number = Date.now()): Record<string, unknown> {
  const day = new Date(nowMs + 86_400_000).toISOString().slice(0, 10);
  return {
    plannedShippingDateAndTime: `${day}T17:00:00 GMT+00:00`,
    pickup: { isRequested: false },
    productCode: 'P',
    accounts: [{ typeCode: 'shipper', number: '123456789' }],
    customerDetails: {
      shipperDetails: {
        postalAddress: {
          postalCode: '14800',
          cityName: 'Prague',
          countryCode: 'CZ',
          addressLine1: 'V Parku 2308/10',
        },
        contactInformation: {
          phone: '+420123456789',
          companyName: 'Example Shop s.r.o.',
          fullName: 'Jan Novak',
        },
      },
      receiverDetails: {
        postalAddress: {
          postalCode: '10115',
          cityName: 'Berlin',
          countryCode: 'DE',
          addressLine1: 'Invalidenstr. 1',
        },
        contactInformation: {
          phone: '+4930123456',
          companyName: 'Example Kunde GmbH',
          fullName: 'Erika Mustermann',
        },
      },
    },
    content: {
      packages: [{ weight: 1.5, dimensions: { length: 30, width: 20, height: 10 } }],
      isCustomsDeclarable: false,
      description: 'Books',
      incoterm: 'DAP',
      unitOfMeasurement: 'metric',
    },
  };
}

export type DhlExpressEnvironment = keyof typeof DHL_EXPRESS_BASE_PATHS;

/** What the simulator saw of one API call: no secret is kept, only whether it matched. */
export interface DhlExpressRequestRecord {
  method: string;
  environment: DhlExpressEnvironment;
  /** Path below the base, e.g. `/address-validate`. */
  resource: string;
  /** Query string without `?`, '' when absent. */
  query: string;
  /** The Basic user name presented (the API key), null without a readable Basic header. */
  apiKey: string | null;
  /** Whether the Basic credentials named a registered API key with its current secret. */
  authenticated: boolean;
  xVersion: string | null;
  messageReference: string | null;
  messageReferenceDate: string | null;
  /** `Plugin-Name`, a header the gateway passes through untouched. */
  pluginName: string | null;
  status: number;
}

export interface DhlExpressSimulatorHandle extends SimulatorHandle {
  /** API calls that reached the carrier logic, oldest first (the most recent 1,000). */
  requests(): DhlExpressRequestRecord[];
  clearRequests(): void;
  /** Tracking numbers created through `POST /shipments` on the production base. */
  createdShipments(): string[];
}

const PROBLEM_JSON = 'application/problem+json';
const MAX_RECORDS = 1000;

/**
 * [MYDHL-SPEC] supermodelIoLogisticsExpressErrorResponse {instance, detail, title, message,
 * additionalDetails?, status (a string)} with `additionalProperties: false`. Every error response
 * declares the header `Content-Type` with default `application/problem+json`, so that is what is
 * sent ([MYDHL] §3b.5 "application/problem+json style").
 */
function dhlError(
  status: number,
  fields: { instance: string; title: string; message: string; detail: string },
  headers: Record<string, string> = {},
): SimResponse {
  return json(status, { ...fields, status: String(status) }, { 'Content-Type': PROBLEM_JSON, ...headers });
}

/**
 * [MYDHL-SPEC] error examples name the backend resource, not the public path: `/expressapi/shipments`,
 * `/expressapi/address_validate` (underscore), `/expressapi/shipments/1251820953/tracking?trackingView=...`
 * (query kept), `/expressapi/shipments?validateDataOnly=true`.
 */
function instanceOf(resource: string, query: string): string {
  const backend = resource === DHL_EXPRESS_RESOURCES.addressValidate ? '/address_validate' : resource;
  return `/expressapi${backend}${query === '' ? '' : `?${query}`}`;
}

/** [MYDHL-SPEC] pickups 400 example: title "Missing parameters", "Missing mandatory parameters: requestorName". */
const missingParameters = (instance: string, names: string[]) =>
  dhlError(400, {
    instance,
    title: 'Missing parameters',
    message: 'Bad request',
    detail: `Missing mandatory parameters: ${names.join(', ')}`,
  });

/** [MYDHL-SPEC] address-validate 400 example: "Parameters not having correct format: cityName (maxLength=45)". */
const wrongFormat = (instance: string, what: string, title = 'Bad request') =>
  dhlError(400, {
    instance,
    title,
    message: 'Bad request',
    detail: `Parameters not having correct format: ${what}`,
  });

/**
 * A 401 is declared nowhere in [MYDHL-SPEC] (facts §3b.5 and §7: UNVERIFIED). The simulator answers
 * in the spec's one error shape; RFC 9110 §15.5.2 requires `WWW-Authenticate` on a 401 (the realm
 * DHL would name is UNVERIFIED). Unknown key, wrong secret and a missing header look alike, so the
 * answer does not reveal which API keys exist.
 */
const unauthorized = (instance: string) =>
  dhlError(
    401,
    {
      instance,
      title: 'Unauthorized',
      message: 'Unauthorized',
      detail: 'Invalid credentials: check the API key and API secret (HTTP Basic).',
    },
    { 'WWW-Authenticate': 'Basic realm="MyDHL API"' },
  );

/** [MYDHL-SPEC] 500 "Process errors" example (its `code: '500'` is not in the schema; `status` is). */
const processError = (instance: string) =>
  dhlError(500, {
    instance,
    title: 'Internal Server Error',
    message: 'Internal Server Error',
    detail:
      'Server encountered an unexpected condition that prevented it from fulfilling the request. Please try again later or contact your local DHL Express support.',
  });

/** [MYDHL-SPEC] tracking 404 example, including its "Not data found" title (sic). */
const noDataFound = (instance: string) =>
  dhlError(404, { instance, title: 'Not data found', message: 'Not data found', detail: 'No data found' });

/** Unknown resource under the base path: not documented, wording UNVERIFIED. */
const resourceNotFound = (instance: string) =>
  dhlError(404, { instance, title: 'Not Found', message: 'Not Found', detail: 'Resource not found' });

/** A known resource with another method: not documented, status and wording UNVERIFIED. */
const methodNotAllowed = (instance: string, allow: string) =>
  dhlError(
    405,
    { instance, title: 'Method Not Allowed', message: 'Method Not Allowed', detail: `Use ${allow}.` },
    { Allow: allow },
  );

/**
 * [MYDHL-SPEC] 422 example (title "Validation error", message "Unprocessable Entity") and the
 * ErrorResponse.detail example `#/customerDetails/shipperDetails: required key [countryCode] not found`.
 */
/**
 * Product codes the simulated accounts may book: those of [MYDHL-SPEC]'s reference data and
 * examples (N, 1, U, T, P and the 9:00/12:00 variants K, Y, E; D EXPRESS WORLDWIDE DOC). A real
 * account's list comes from `/products` (UNVERIFIED which of these a given account has).
 */
const PRODUCT_CODES = new Set(['N', '1', 'U', 'T', 'P', 'K', 'Y', 'E', 'D', 'W', 'X', 'G', 'I', 'B']);
/** MyDHL account numbers are 9 digits in every [MYDHL-SPEC] example; other forms are refused (UNVERIFIED). */
const ACCOUNT_NUMBER = /^\d{9}$/;
/** [MYDHL-SPEC] plannedShippingDateAndTime "2019-08-04T14:00:31GMT+01:00" or with a space before GMT. */
const PLANNED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}) ?GMT([+-]\d{2}):(\d{2})$/;
const TEN_DAYS_MS = 10 * 24 * 3600_000;

/**
 * The request rules [MYDHL-SPEC] states in prose, which the contract kit cannot see: the planned
 * date "cannot be in the past" and at most 10 days ahead; a known product; a shipper account;
 * "If the shipment is dutiable, exportDeclaration element must be provided" (content.isCustomsDeclarable).
 * The detail texts are the simulator's own (DHL's wording and numeric codes for these: UNVERIFIED).
 */
function shipmentRuleRefusal(
  body: Record<string, unknown>,
  content: Record<string, unknown>,
  nowMs: number,
): string | undefined {
  const planned =
    typeof body['plannedShippingDateAndTime'] === 'string'
      ? PLANNED.exec(body['plannedShippingDateAndTime'])
      : null;
  const plannedMs = planned ? Date.parse(`${planned[1]}${planned[2]}:${planned[3]}`) : Number.NaN;
  if (Number.isNaN(plannedMs))
    return '#/plannedShippingDateAndTime: not a valid date and time with its GMT offset';
  // A minute of grace for clocks a little apart.
  if (plannedMs < nowMs - 60_000)
    return '#/plannedShippingDateAndTime: the planned shipping date is in the past';
  if (plannedMs > nowMs + TEN_DAYS_MS) return '#/plannedShippingDateAndTime: more than 10 days ahead';
  if (typeof body['productCode'] !== 'string' || !PRODUCT_CODES.has(body['productCode']))
    return `#/productCode: unknown product ${String(body['productCode'])}`;
  const accounts = Array.isArray(body['accounts']) ? (body['accounts'] as unknown[]) : [];
  const shipperAccount = accounts.find((account) => isObject(account) && account['typeCode'] === 'shipper');
  if (
    !isObject(shipperAccount) ||
    typeof shipperAccount['number'] !== 'string' ||
    !ACCOUNT_NUMBER.test(shipperAccount['number'])
  )
    return '#/accounts: no valid shipper account number';
  if (content['isCustomsDeclarable'] === true && !isObject(content['exportDeclaration']))
    return '#/content: a dutiable shipment (isCustomsDeclarable true) requires exportDeclaration';
  return undefined;
}

const validationError = (instance: string, detail: string) =>
  dhlError(422, { instance, title: 'Validation error', message: 'Unprocessable Entity', detail });

/** [MYDHL-SPEC] trackingView and levelOfDetail enums. */
const TRACKING_VIEWS = [
  'all-checkpoints',
  'all-checkpoints-with-remarks',
  'last-checkpoint',
  'shipment-details-only',
  'advance-shipment',
  'bbx-children',
] as const;
const LEVELS_OF_DETAIL = ['shipment', 'piece', 'all'] as const;
const BOOLEAN_TEXT = new Set(['true', 'false']);

/**
 * Smallest one-page blank PDF (4×8 in label): stands in for the "base64 encoded PDF label" of
 * [MYDHL-SPEC] `POST /shipments` (documents[].content). It has no xref table, which PDF readers rebuild.
 */
const LABEL_PDF_BASE64 = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
    '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 576]>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
).toString('base64');

/** A minimal ZPL II label (a text line and a Code 128 barcode of the waybill number). */
const zplLabel = (number: string) =>
  `^XA^CI28^FO40,40^A0N,40,40^FDDHL Express^FS^FO40,100^BCN,120,Y,N,N^FD${number}^FS^XZ\n`;

/**
 * The label in the `outputImageProperties.encodingFormat` asked for ([MYDHL-SPEC] enum pdf, zpl,
 * lp2, epl; default pdf), or null for a value outside the enum. documents[].content is "base64
 * encoded document image" whatever the format; imageFormat is upper case as in the spec's `PDF`.
 * lp2 and epl are not simulated and get the PDF (UNVERIFIED what DHL names them).
 */
function labelDocument(properties: unknown, number: string): { imageFormat: string; content: string } | null {
  const format = isObject(properties) ? (properties['encodingFormat'] ?? 'pdf') : 'pdf';
  if (!['pdf', 'zpl', 'lp2', 'epl'].includes(format as string)) return null;
  if (format === 'zpl')
    return { imageFormat: 'ZPL', content: Buffer.from(zplLabel(number)).toString('base64') };
  return { imageFormat: 'PDF', content: LABEL_PDF_BASE64 };
}

function digits(count: number): string {
  return Array.from(randomBytes(count), (b) => String(b % 10)).join('');
}

/** Ten digits, like every waybill in [MYDHL-SPEC] (`5374534546`, the test list). */
const waybillNumber = () => digits(10);
/** Piece IDs look like `JD014600004617230779` in [MYDHL-SPEC] examples: JD + 18 digits. */
const pieceNumber = () => `JD0146${digits(14)}`;

interface Place {
  countryCode: string;
  cityName: string;
}

interface ShipmentRecord {
  number: string;
  productCode: string;
  description: string;
  shipper: Place;
  receiver: Place;
  pieces: { trackingNumber: string; weight: number }[];
  createdAtMs: number;
}

/** Service-area code and description in the shape of the examples (`SYD`, `SYDNEY-AU`); synthetic values. */
function serviceArea(place: Place): { code: string; description: string } {
  const letters = place.cityName.toUpperCase().replace(/[^A-Z]/g, '');
  const code = (letters + place.countryCode.toUpperCase() + 'XXX').slice(0, 3);
  return { code, description: `${place.cityName.toUpperCase() || place.countryCode}-${place.countryCode}` };
}

/** The test waybills' route follows the [MYDHL-SPEC] tracking example (Sydney AU → Auckland NZ). */
function testWaybill(number: string): ShipmentRecord {
  return {
    number,
    productCode: 'P',
    description: 'BUSHING',
    shipper: { countryCode: 'AU', cityName: 'Sydney' },
    receiver: { countryCode: 'NZ', cityName: 'Auckland' },
    pieces: [{ trackingNumber: `JD0146${number.padStart(14, '0')}`, weight: 0.99 }],
    createdAtMs: Date.UTC(2023, 7, 9, 13, 42, 48),
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Start a DHL Express (MyDHL API) simulator on loopback.
 * @example
 * const dhl = await startDhlExpressSimulator({ clients: [{ clientId: 'apiKey', clientSecret: 'apiSecret' }] });
 * // GET `${dhl.url}/mydhlapi/address-validate?type=delivery&countryCode=CZ&postalCode=14800&cityName=Prague`
 * //   with Authorization: Basic base64(apiKey:apiSecret) and x-version: 3.1.0
 */
export async function startDhlExpressSimulator(
  options: SimulatorOptions = {},
): Promise<DhlExpressSimulatorHandle> {
  const clock = options.clock ?? Date.now;
  const records: DhlExpressRequestRecord[] = [];
  /** Shipments created on the production base; the test base never tracks them ([MYDHL-SPEC]). */
  const created = new Map<string, ShipmentRecord>();

  function addressValidate(req: SimRequest, instance: string): SimResponse {
    const q = req.query;
    const missing = ['type', 'countryCode'].filter((name) => !q.get(name));
    if (missing.length > 0) return missingParameters(instance, missing);
    // [MYDHL-SPEC] addrValType enum, addrValCountryCode 2..2, postalCode ≤12, cityName/countyName ≤45.
    const type = q.get('type')!;
    if (type !== 'pickup' && type !== 'delivery')
      return wrongFormat(instance, 'type (valid parameters for type are [pickup, delivery])');
    const countryCode = q.get('countryCode')!;
    if (countryCode.length !== 2) return wrongFormat(instance, 'countryCode (minLength=2, maxLength=2)');
    const postalCode = q.get('postalCode') ?? '';
    if (postalCode.length > 12) return wrongFormat(instance, 'postalCode (maxLength=12)');
    const cityName = q.get('cityName') ?? '';
    if (cityName.length > 45) return wrongFormat(instance, 'cityName (maxLength=45)');
    const countyName = q.get('countyName');
    if (countyName !== null && countyName.length > 45)
      return wrongFormat(instance, 'countyName (maxLength=45)');
    const strict = q.get('strictValidation');
    if (strict !== null && !BOOLEAN_TEXT.has(strict)) return wrongFormat(instance, 'strictValidation');
    // [MYDHL-SPEC] AddressValidateResponse: address[] with required countryCode and postalCode,
    // serviceArea {code, description, GMTOffset}. Every address is served; the GMT offset is synthetic.
    const place = { countryCode: countryCode.toUpperCase(), cityName };
    return json(200, {
      address: [
        {
          countryCode: place.countryCode,
          postalCode,
          cityName: cityName.toUpperCase(),
          ...(countyName ? { countyName } : {}),
          serviceArea: { ...serviceArea(place), GMTOffset: '+00:00' },
        },
      ],
    });
  }

  function tracking(
    req: SimRequest,
    ctx: SimContext,
    environment: DhlExpressEnvironment,
    number: string,
    instance: string,
  ): SimResponse {
    const q = req.query;
    const view = q.get('trackingView') ?? 'all-checkpoints';
    if (!(TRACKING_VIEWS as readonly string[]).includes(view)) {
      // [MYDHL-SPEC] tracking 400 example: title "Wrong format" and the list of valid views.
      return wrongFormat(
        instance,
        `trackingView (valid parameters for trackingView are [${TRACKING_VIEWS.join(', ')}])`,
        'Wrong format',
      );
    }
    const level = q.get('levelOfDetail') ?? 'shipment';
    if (!(LEVELS_OF_DETAIL as readonly string[]).includes(level)) {
      return wrongFormat(
        instance,
        `levelOfDetail (valid parameters for levelOfDetail are [${LEVELS_OF_DETAIL.join(', ')}])`,
        'Wrong format',
      );
    }
    for (const name of ['requestControlledAccessDataCodes', 'requestGMTOffsetPerEvent']) {
      const value = q.get(name);
      if (value !== null && !BOOLEAN_TEXT.has(value)) return wrongFormat(instance, name, 'Wrong format');
    }
    const shipment = DHL_EXPRESS_TEST_WAYBILLS.includes(number)
      ? testWaybill(number)
      : environment === 'production'
        ? created.get(number)
        : undefined;
    if (!shipment) return noDataFound(instance);

    // [MYDHL-SPEC] tracking example event codes: PU picked up, DF departed, OK delivered. A shipment
    // created here has only been picked up; the test waybills are delivered. The `trackingStage`
    // fault puts every shipment at that stage instead (tracking-simulator.ts).
    const forced = ctx.faults.trackingStage;
    const from = [serviceArea(shipment.shipper)];
    const to = [serviceArea(shipment.receiver)];
    const delivered = DHL_EXPRESS_TEST_WAYBILLS.includes(number);
    const start = shipment.createdAtMs;
    let events: DhlTrackingEvent[] =
      forced !== null
        ? journeyEvents(forced, ctx.carrierNow(), from, to)
        : [
            {
              ...dateAndTime(start + 14 * 60_000),
              typeCode: 'PU',
              description: 'Shipment picked up',
              serviceArea: from,
            },
            ...(delivered
              ? [
                  {
                    ...dateAndTime(start + 8 * 3_600_000),
                    typeCode: 'DF',
                    description: `Shipment has departed from a DHL facility- ${from[0]!.description}`,
                    serviceArea: from,
                  },
                  {
                    ...dateAndTime(start + 22 * 3_600_000),
                    typeCode: 'OK',
                    description: 'Delivered',
                    serviceArea: to,
                    signedBy: '',
                  },
                ]
              : []),
          ];
    // requestGMTOffsetPerEvent: "return GMT Offset of each event"; the simulator's times are UTC.
    if (q.get('requestGMTOffsetPerEvent') === 'true') {
      events = events.map((event) => ({ ...event, GMTOffset: '+00:00' }));
    }
    // `events` is required even when none are asked for ([MYDHL-SPEC] TrackingResponse `required: [events]`).
    if (view === 'last-checkpoint') events = events.slice(-1);
    if (view === 'shipment-details-only') events = [];
    const totalWeight = shipment.pieces.reduce((sum, piece) => sum + piece.weight, 0);
    const address = (place: Place) => ({
      // "This field may be intentionally left empty in accordance with ... GDPR" ([MYDHL-SPEC]).
      name: '',
      postalAddress: { cityName: '', postalCode: '', countryCode: place.countryCode },
      serviceArea: [serviceArea(place)],
    });
    return json(200, {
      shipments: [
        {
          shipmentTrackingNumber: shipment.number,
          status: 'Success',
          shipmentTimestamp: new Date(start).toISOString().slice(0, 19),
          productCode: shipment.productCode,
          description: shipment.description,
          shipperDetails: address(shipment.shipper),
          receiverDetails: address(shipment.receiver),
          totalWeight,
          unitOfMeasurements: 'metric',
          events,
          numberOfPieces: shipment.pieces.length,
          // Piece details only when asked for ([MYDHL-SPEC] levelOfDetail: shipment | piece | all).
          ...(level === 'shipment'
            ? {}
            : {
                pieces: shipment.pieces.map((piece, index) => ({
                  number: index + 1,
                  shipmentTrackingNumber: shipment.number,
                  trackingNumber: piece.trackingNumber,
                  weight: piece.weight,
                  unitOfMeasurements: 'metric',
                  events,
                })),
              }),
        },
      ],
    });
  }

  /**
   * [MYDHL-SPEC] POST /shipments: checks the top-level `required` list, `content` (packages with a
   * weight, its other required keys), the shipper/receiver country codes and contacts, and the
   * label encoding, then answers 201 with `Location`, the shipment number, piece IDs and one base64
   * label ("The key elements in the response ... a base64 encoded PDF label and the Shipment and
   * Piece identification numbers"), counting one label per shipment (waybill). Deeper schema
   * rules, rating and `validateDataOnly` are not simulated.
   */
  function createShipment(
    req: SimRequest,
    ctx: SimContext,
    environment: DhlExpressEnvironment,
    instance: string,
  ): SimResponse {
    const body = jsonOf(req);
    // A body that is not a JSON object: not documented, 400 "Bad request" chosen (UNVERIFIED).
    if (!isObject(body)) {
      return dhlError(400, {
        instance,
        title: 'Bad request',
        message: 'Bad request',
        detail: 'The request body must be a JSON object',
      });
    }
    const required = [
      'plannedShippingDateAndTime',
      'pickup',
      'productCode',
      'accounts',
      'customerDetails',
      'content',
    ];
    const absent = required.find((key) => body[key] === undefined);
    // The path style of the detail follows the spec's example; the wording for a top-level key is extrapolated.
    if (absent) return validationError(instance, `#: required key [${absent}] not found`);
    const content = body['content'];
    const packages = isObject(content) ? content['packages'] : undefined;
    if (!Array.isArray(packages) || packages.length < 1 || packages.length > 999) {
      return validationError(instance, '#/content/packages: expected 1 to 999 packages');
    }
    const weights: number[] = [];
    for (const [index, pkg] of packages.entries()) {
      const weight = isObject(pkg) ? pkg['weight'] : undefined;
      if (typeof weight !== 'number' || weight <= 0) {
        return validationError(instance, `#/content/packages/${index}: required key [weight] not found`);
      }
      weights.push(weight);
    }
    const customer = isObject(body['customerDetails']) ? body['customerDetails'] : {};
    const place = (role: 'shipperDetails' | 'receiverDetails'): Place | SimResponse => {
      const details = customer[role];
      const postal = isObject(details) ? details['postalAddress'] : undefined;
      const countryCode = isObject(postal) ? postal['countryCode'] : undefined;
      if (typeof countryCode !== 'string' || countryCode.length !== 2) {
        return validationError(instance, `#/customerDetails/${role}: required key [countryCode] not found`);
      }
      // [MYDHL-SPEC] supermodelIoLogisticsExpressContact `required: [phone, companyName, fullName]`.
      const contact = isObject(details) ? details['contactInformation'] : undefined;
      const noContact = ['phone', 'companyName', 'fullName'].find(
        (key) => !isObject(contact) || typeof contact[key] !== 'string' || contact[key] === '',
      );
      if (noContact) {
        return validationError(
          instance,
          `#/customerDetails/${role}/contactInformation: required key [${noContact}] not found`,
        );
      }
      const cityName = isObject(postal) && typeof postal['cityName'] === 'string' ? postal['cityName'] : '';
      return { countryCode, cityName };
    };
    const shipper = place('shipperDetails');
    if ('status' in shipper) return shipper;
    const receiver = place('receiverDetails');
    if ('status' in receiver) return receiver;

    // [MYDHL-SPEC] content `required`: packages (checked above), isCustomsDeclarable, description, incoterm, unitOfMeasurement.
    const noContentKey = ['isCustomsDeclarable', 'description', 'incoterm', 'unitOfMeasurement'].find(
      (key) => !isObject(content) || content[key] === undefined,
    );
    if (noContentKey) return validationError(instance, `#/content: required key [${noContentKey}] not found`);
    const refusal = shipmentRuleRefusal(body, content as Record<string, unknown>, ctx.now());
    if (refusal !== undefined) return validationError(instance, refusal);
    const number = waybillNumber();
    const label = labelDocument(body['outputImageProperties'], number);
    if (label === null) {
      return validationError(
        instance,
        '#/outputImageProperties/encodingFormat: expected one of [pdf, zpl, lp2, epl]',
      );
    }
    ctx.recordLabels();
    const record: ShipmentRecord = {
      number,
      productCode: typeof body['productCode'] === 'string' ? body['productCode'].slice(0, 1) : 'P',
      description:
        isObject(content) && typeof content['description'] === 'string' ? content['description'] : '',
      shipper,
      receiver,
      pieces: weights.map((weight) => ({ trackingNumber: pieceNumber(), weight })),
      createdAtMs: ctx.now(),
    };
    // "ones created via shipment will not be trackable" on the test environment ([MYDHL-SPEC]).
    if (environment === 'production') created.set(number, record);

    const base = `${ctx.url}${DHL_EXPRESS_BASE_PATHS[environment]}`;
    const trackingUrl = `${base}${DHL_EXPRESS_RESOURCES.tracking(number)}`;
    // [MYDHL-SPEC] 201 with Location "/shipments/1117120421" and CreateShipmentResponse.
    return json(
      201,
      {
        url: `${base}${DHL_EXPRESS_RESOURCES.shipments}`,
        shipmentTrackingNumber: number,
        trackingUrl,
        packages: record.pieces.map((piece, index) => ({
          referenceNumber: index + 1,
          trackingNumber: piece.trackingNumber,
          trackingUrl: `${trackingUrl}?pieceTrackingNumber=${piece.trackingNumber}`,
        })),
        documents: [{ ...label, typeCode: 'label' }],
      },
      { Location: `${DHL_EXPRESS_RESOURCES.shipments}/${number}` },
    );
  }

  /** The faults the kit leaves to the carrier for API calls (see the module comment). */
  function injectedFault(ctx: SimContext, instance: string): SimResponse | null {
    const faults = ctx.faults;
    if (faults.throttle.count > 0) {
      faults.throttle.count -= 1;
      const retryAfter = faults.throttle.retryAfterSeconds;
      // MyDHL rate limits and their 429 body are UNVERIFIED (facts §7): the spec's error shape is used,
      // and Retry-After only when the fault sets one.
      return dhlError(
        429,
        { instance, title: 'Too Many Requests', message: 'Too Many Requests', detail: 'Rate limit exceeded' },
        retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
      );
    }
    if (faults.tokenServerErrors > 0) {
      faults.tokenServerErrors -= 1;
      if (faults.tokenServerErrorStatus === 503) {
        // No 503 is declared by [MYDHL-SPEC]: wording UNVERIFIED.
        return dhlError(503, {
          instance,
          title: 'Service Unavailable',
          message: 'Service Unavailable',
          detail: 'The service is temporarily unavailable. Please try again later.',
        });
      }
      // [MYDHL-SPEC] 500 "Process errors" example. The examples carry `code: '500'`, which their own
      // schema (additionalProperties: false, no `code`) forbids; `status` is sent instead.
      return processError(instance);
    }
    return null;
  }

  function api(
    req: SimRequest,
    ctx: SimContext,
    environment: DhlExpressEnvironment,
    resource: string,
    record: DhlExpressRequestRecord,
  ): SimResponse {
    const query = req.query.toString();
    const instance = instanceOf(resource, query);
    const fault = injectedFault(ctx, instance);
    if (fault) return fault;

    // [MYDHL-SPEC] every operation: `security: basicAuth`; user = API key, password = API secret
    // ([SHIPPY-I7]). Raw RFC 7617 values: nothing says DHL form-url-decodes them.
    const credentials = basicCredentials(req);
    record.apiKey = credentials?.username ?? null;
    record.authenticated =
      !!credentials && ctx.checkClient(credentials.username, credentials.password) === 'ok';
    if (!record.authenticated) return unauthorized(instance);

    // x-version is `required: true` on every operation ([MYDHL-SPEC] xVersionHeader). The answer for
    // a missing or other value is not documented: 400 in the spec's error shape (UNVERIFIED).
    if (record.xVersion === null) return missingParameters(instance, ['x-version']);
    if (record.xVersion !== DHL_EXPRESS_SPEC_X_VERSION) return wrongFormat(instance, 'x-version');
    const reference = record.messageReference;
    if (reference !== null && (reference.length < 1 || reference.length > MESSAGE_REFERENCE_MAX)) {
      return wrongFormat(instance, `Message-Reference (minLength=1, maxLength=${MESSAGE_REFERENCE_MAX})`);
    }
    // Message-Reference-Date is optional HTTP-date text; whether DHL validates it is UNVERIFIED, so it is not checked.

    if (resource === DHL_EXPRESS_RESOURCES.addressValidate) {
      return req.method === 'GET' ? addressValidate(req, instance) : methodNotAllowed(instance, 'GET');
    }
    if (resource === DHL_EXPRESS_RESOURCES.shipments) {
      return req.method === 'POST'
        ? createShipment(req, ctx, environment, instance)
        : methodNotAllowed(instance, 'POST');
    }
    if (resource === '/rates') {
      return req.method === 'GET'
        ? dhlExpressRateAnswer(req, ctx.carrierNow())
        : methodNotAllowed(instance, 'GET');
    }
    const track = /^\/shipments\/([^/]+)\/tracking$/.exec(resource);
    if (track) {
      if (req.method !== 'GET') return methodNotAllowed(instance, 'GET');
      return tracking(req, ctx, environment, decodeURIComponent(track[1]!), instance);
    }
    return resourceNotFound(instance);
  }

  function route(req: SimRequest, ctx: SimContext): SimResponse {
    const located = locate(req.path);
    if (!located) return resourceNotFound(req.path);
    const { environment, resource } = located;
    const record: DhlExpressRequestRecord = {
      method: req.method,
      environment,
      resource,
      query: req.query.toString(),
      apiKey: null,
      authenticated: false,
      xVersion: header(req, 'x-version') ?? null,
      messageReference: header(req, 'message-reference') ?? null,
      messageReferenceDate: header(req, 'message-reference-date') ?? null,
      pluginName: header(req, 'plugin-name') ?? null,
      status: 0,
    };
    const response = api(req, ctx, environment, resource, record);
    record.status = response.status;
    records.push(record);
    if (records.length > MAX_RECORDS) records.shift();
    // [MYDHL-SPEC] success responses carry `Message-Reference` ("provided by customer as part of
    // request or automatically generated when not provided") and `Invocation-Id`. Sending them on
    // errors as well is a choice (UNVERIFIED).
    response.headers = {
      ...response.headers,
      'Message-Reference': record.messageReference || randomUUID(),
      'Invocation-Id': randomUUID(),
    };
    return response;
  }

  const definition: CarrierDefinition = {
    defaults: DHL_EXPRESS_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: null, // no tokens at all ([MYDHL] §3b.1)
    isTokenPath: () => false,
    isApiPath: (path) => locate(path) !== null,
    clientIdOf: (req) => basicCredentials(req)?.username,
    // The kit calls these three only for token paths, of which MyDHL has none; API-call faults are
    // answered by `injectedFault` above. Kept in the same error shape for completeness.
    throttled: (req, retryAfter) =>
      dhlError(
        429,
        {
          instance: req.path,
          title: 'Too Many Requests',
          message: 'Too Many Requests',
          detail: 'Rate limit exceeded',
        },
        retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
      ),
    serverError: (req, status) =>
      dhlError(status, {
        instance: req.path,
        title: status === 503 ? 'Service Unavailable' : 'Internal Server Error',
        message: status === 503 ? 'Service Unavailable' : 'Internal Server Error',
        detail: 'Server error',
      }),
    // HTTP 200 carrying the 401 body, as the fault is defined for token endpoints.
    errorInSuccessBody: (req) => ({ ...unauthorized(req.path), status: 200 }),
    handle: route,
    // The kit's ratesLatencyMs / trackingLatencyMs and ratesFault / trackingFault, in MyDHL's error shape.
    reads: {
      rates: readDefinition((resource) => resource === '/rates'),
      tracking: readDefinition((resource) => /^\/shipments\/[^/]+\/tracking$/.test(resource)),
    },
    shipping: {
      isShipmentRequest: (req) =>
        req.method === 'POST' && locate(req.path)?.resource === DHL_EXPRESS_RESOURCES.shipments,
      validationError: (req) => shipmentFault(req, 400),
      forbidden: (req) => shipmentFault(req, 403),
      serverError: (req) => shipmentFault(req, 500),
    },
  };

  const sim = await startSimulator(definition, { ...options, clock });
  return Object.assign(sim, {
    requests: () => records.map((record) => ({ ...record })),
    clearRequests() {
      records.length = 0;
    },
    createdShipments: () => [...created.keys()],
  });
}

/**
 * A MyDHL read (GET of `matches` below a base): its 5xx is the [MYDHL-SPEC] 500 "Process errors"
 * example (as `injectedFault`), its 400 the tracking "Wrong format" example.
 */
function readDefinition(matches: (resource: string) => boolean): ReadDefinition {
  const instance = (req: SimRequest) =>
    instanceOf(locate(req.path)?.resource ?? req.path, req.query.toString());
  return {
    matches: (req) => {
      const located = locate(req.path);
      return req.method === 'GET' && located !== null && matches(located.resource);
    },
    serverError: (req) => processError(instance(req)),
    badRequest: (req) => wrongFormat(instance(req), 'the request parameters', 'Wrong format'),
  };
}

/**
 * The `shipmentFault` answers in [MYDHL-SPEC] ErrorResponse shape: the 400 "Incorrect date" example
 * (code 998 in `detail`), the 500 "Process Error" example (999; `status` sent instead of the
 * example's schema-less `code`), and a 403, which the spec does not declare (UNVERIFIED).
 */
function shipmentFault(req: SimRequest, status: 400 | 403 | 500): SimResponse {
  const instance = instanceOf(locate(req.path)?.resource ?? req.path, req.query.toString());
  if (status === 400) {
    return dhlError(400, {
      instance,
      title: 'Bad request',
      message: 'Bad request',
      detail:
        "998: ShipTimeStamp is not well formatted.(Expected Sample Format : '2010-02-11T17:10:09 GMT+01:00')",
    });
  }
  if (status === 403) {
    return dhlError(403, {
      instance,
      title: 'Forbidden',
      message: 'Forbidden',
      detail: 'The account is not authorised for this operation.',
    });
  }
  return dhlError(500, {
    instance,
    title: 'Internal Server Error',
    message: 'Internal Server Error',
    detail: '999: Process failure occurred. Process ID associated for that transaction (1234567890)',
  });
}

/** Splits a request path into its environment and the resource below the base (test base first: it is longer). */
function locate(path: string): { environment: DhlExpressEnvironment; resource: string } | null {
  for (const environment of ['test', 'production'] as const) {
    const base = DHL_EXPRESS_BASE_PATHS[environment];
    if (path.startsWith(`${base}/`)) return { environment, resource: path.slice(base.length) };
  }
  return null;
}
