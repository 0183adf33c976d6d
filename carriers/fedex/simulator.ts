/**
 * @module carriers/fedex/simulator
 * Loopback simulator of the FedEx OAuth token endpoint and three protected FedEx APIs (Address
 * Validation, Track by tracking number, Create Shipment), written from the FedEx OpenAPI JSON files
 * in `shared/carrier-specs/fedex/` and `carrier-auth-facts.md` §2. Quirks cite [FDX-AUTH], [FDX-AV],
 * [FDX-TRK], [FDX-SHIP], [FDX-RL] or another facts tag; [SR-I101] is alexeybusygin/ShippingRates#101
 * (an observed Ship API 400 body).
 */
import { randomBytes, randomUUID } from 'node:crypto';

import { SignJWT } from 'jose';

import {
  bearerToken,
  defaultFaults,
  formOf,
  freezeFaults,
  header,
  isFormContentType,
  json,
  jsonOf,
  startSimulator,
  type CarrierDefinition,
  type ShippingDefinition,
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
} from '../../src/sim/index.js';
import { FEDEX_RATES_READ, fedexRate } from './rates-simulator.js';
import { FEDEX_TRACKING_READ, fedexTrack } from './tracking-simulator.js';

export const FEDEX_PATHS = {
  token: '/oauth/token',
  addressResolve: '/address/v1/addresses/resolve',
  trackByNumber: '/track/v1/trackingnumbers',
  ship: '/ship/v1/shipments',
} as const;

/** Real responses carry 3599; the spec's example says 3600 ("one hour") [FDX-AUTH] [KAR-FDX tests]. */
export const FEDEX_ACCESS_TOKEN_LIFETIME_SECONDS = 3599;
/** Real responses say "CXS-TP"; the spec example says "CXS" [FDX-AUTH] [KAR-FDX tests]. */
export const FEDEX_SCOPE = 'CXS-TP';

export const FEDEX_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(
  defaultFaults(FEDEX_ACCESS_TOKEN_LIFETIME_SECONDS),
);

/** [FDX-AUTH] FullSchema grant_type values; the last two also need child_Key + child_secret. */
const GRANT_TYPES = new Set(['client_credentials', 'csp_credentials', 'client_pc_credentials']);

const MESSAGES = {
  badCredentials: 'The given client credentials were not valid. Please modify your request and try again.',
  tokenExpired: 'Access token expired. Please modify your request and try again.',
  /** Not in any FedEx spec: UNVERIFIED wording for a token FedEx never issued. */
  tokenInvalid: 'The given JWT is invalid. Please modify your request and try again.',
  notFound: 'The resource you requested is no longer available. Please modify your request and try again.',
  internal:
    'We encountered an unexpected error and are working to resolve the issue. We apologize for any inconvenience. Please check back at a later time.',
  unavailable:
    'The service is currently unavailable and we are working to resolve the issue. We apologize for any inconvenience. Please check back at a later time.',
  /** [FDX-RL] per-project burst limit text. */
  throttled: 'We have received too many requests in a short duration. Please wait a while to try again.',
} as const;

/**
 * [FDX-AUTH] ErrorResponseVO: `transactionId` + `errors[{code, message}]`. `customerTransactionId`
 * is echoed when the request sent `x-customer-transaction-id` [FDX-TRK] [FDX-AV].
 */
function fedexError(
  req: SimRequest,
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): SimResponse {
  return json(status, { ...envelope(req), errors: [{ code, message }] }, headers);
}

function envelope(req: SimRequest): { transactionId: string; customerTransactionId?: string } {
  const customerTransactionId = header(req, 'x-customer-transaction-id');
  return { transactionId: randomUUID(), ...(customerTransactionId ? { customerTransactionId } : {}) };
}

/** 400 body for token-request problems: FedEx declares no 400 for /oauth/token, so code and text are UNVERIFIED. */
const badTokenRequest = (req: SimRequest, what: string) =>
  fedexError(req, 400, 'BAD.REQUEST.ERROR', `${what}. Please modify your request and try again.`);

/**
 * Start a FedEx simulator on loopback.
 * @example
 * const fedex = await startFedexSimulator({ clients: [{ clientId: 'key', clientSecret: 'secret' }] });
 * // POST `${fedex.url}/oauth/token`, form grant_type=client_credentials&client_id=key&client_secret=secret
 */
export async function startFedexSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  // FedEx tokens look like HS256 JWTs [FDX-AUTH] example "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpX…".
  const signingKey = new Uint8Array(randomBytes(32));

  async function token(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    if (req.method !== 'POST') return fedexError(req, 404, 'NOT.FOUND.ERROR', MESSAGES.notFound);
    // [FDX-AUTH] declares content-type: application/x-www-form-urlencoded as a required header.
    if (!isFormContentType(req)) return badTokenRequest(req, 'Invalid content-type');
    const form = formOf(req);
    const grantType = form.get('grant_type');
    if (!grantType || !GRANT_TYPES.has(grantType)) return badTokenRequest(req, 'Invalid grant_type');
    // Credentials travel in the form body only, never Basic [FDX-AUTH] [KAR-FDX].
    const clientId = form.get('client_id');
    const clientSecret = form.get('client_secret');
    if (!clientId || !clientSecret || ctx.checkClient(clientId, clientSecret) !== 'ok') {
      return fedexError(req, 401, 'NOT.AUTHORIZED.ERROR', MESSAGES.badCredentials);
    }
    // Capital K in `child_Key` is the spec's spelling [FDX-AUTH]; child credentials are not checked further.
    if (grantType !== 'client_credentials' && (!form.get('child_Key') || !form.get('child_secret'))) {
      return badTokenRequest(req, 'Missing child_Key or child_secret');
    }

    const lifetime = ctx.faults.tokenLifetimeSeconds;
    const now = ctx.now();
    const iat = Math.floor(ctx.carrierNow() / 1000);
    const accessToken = await new SignJWT({ scope: [FEDEX_SCOPE], grant_type: grantType })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetime)
      .setJti(randomUUID())
      .sign(signingKey);
    ctx.recordAccess(accessToken, { clientId, issuedAtMs: now, expiresAtMs: now + lifetime * 1000 });
    // Lower-case "bearer" and an integer expires_in, unlike UPS [FDX-AUTH] [KAR-FDX tests].
    return json(200, {
      access_token: accessToken,
      token_type: 'bearer',
      expires_in: lifetime,
      scope: FEDEX_SCOPE,
    });
  }

  function api(req: SimRequest, ctx: SimContext): SimResponse {
    const bearer = bearerToken(req);
    const check = bearer ? ctx.checkAccess(bearer) : undefined;
    if (!check?.ok) {
      const expired = check?.reason === 'expired' || check?.reason === 'premature';
      // [FDX-AV] [FDX-TRK] 401 example: NOT.AUTHORIZED.ERROR "Access token expired…".
      return fedexError(
        req,
        401,
        'NOT.AUTHORIZED.ERROR',
        expired ? MESSAGES.tokenExpired : MESSAGES.tokenInvalid,
      );
    }
    if (req.method === 'POST' && req.path === FEDEX_PATHS.addressResolve) return resolveAddresses(req);
    if (FEDEX_TRACKING_READ.matches(req)) return fedexTrack(req, ctx.carrierNow(), ctx.faults.trackingStage);
    if (req.method === 'POST' && req.path === FEDEX_PATHS.ship) return createShipment(req, ctx);
    if (req.method === 'PUT' && req.path === FEDEX_CANCEL_PATH) return cancelShipment(req, ctx);
    if (FEDEX_RATES_READ.matches(req)) return fedexRate(req, ctx.carrierNow());
    return fedexError(req, 404, 'NOT.FOUND.ERROR', MESSAGES.notFound);
  }

  const definition: CarrierDefinition = {
    defaults: FEDEX_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: null, // no refresh token in any grant [FDX-AUTH]
    isTokenPath: (path) => path === FEDEX_PATHS.token,
    isApiPath,
    clientIdOf: (req) => formOf(req).get('client_id') ?? undefined,
    // 429 text from [FDX-RL]; the code is NOT documented (synthetic), and FedEx mentions no Retry-After.
    throttled: (req, retryAfter) =>
      fedexError(
        req,
        429,
        'TOO.MANY.REQUESTS.ERROR',
        MESSAGES.throttled,
        retryAfter === undefined ? undefined : { 'Retry-After': String(retryAfter) },
      ),
    // [FDX-AUTH] documents both 500 and 503 for /oauth/token.
    serverError: (req, status) =>
      status === 500
        ? fedexError(req, 500, 'INTERNAL.SERVER.ERROR', MESSAGES.internal)
        : fedexError(req, 503, 'SERVICE.UNAVAILABLE.ERROR', MESSAGES.unavailable),
    errorInSuccessBody: (req) => fedexError(req, 200, 'NOT.AUTHORIZED.ERROR', MESSAGES.badCredentials),
    shipping: FEDEX_SHIPPING,
    reads: { rates: FEDEX_RATES_READ, tracking: FEDEX_TRACKING_READ },
    handle: (req, ctx) =>
      req.path === FEDEX_PATHS.token
        ? token(req, ctx)
        : isApiPath(req.path)
          ? api(req, ctx)
          : fedexError(req, 404, 'NOT.FOUND.ERROR', MESSAGES.notFound),
  };

  return startSimulator(definition, options);
}

/** FedEx API families served under the same host [FDX-AV] [FDX-TRK] [FDX-RATE] [FDX-SHIP]. */
function isApiPath(path: string): boolean {
  return /^\/(address|track|rate|ship)\//.test(path);
}

interface FedexAddress {
  streetLines?: unknown;
  city?: unknown;
  stateOrProvinceCode?: unknown;
  postalCode?: unknown;
  countryCode?: unknown;
}

/** [FDX-AV] POST /address/v1/addresses/resolve → output.resolvedAddresses, one per address sent. */
function resolveAddresses(req: SimRequest): SimResponse {
  const body = jsonOf(req) as { addressesToValidate?: { address?: FedexAddress }[] } | undefined;
  const inputs = body?.addressesToValidate;
  if (!Array.isArray(inputs) || inputs.length === 0 || !inputs.every((i) => i?.address)) {
    // Required per [FDX-AV] Full_Schema_Validate_Address; the 400 code for its absence is UNVERIFIED.
    return fedexError(req, 400, 'ADDRESSESTOVALIDATE.REQUIRED', 'Please provide addresses to validate.');
  }
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return json(200, {
    ...envelope(req),
    output: {
      resolvedAddresses: inputs.map(({ address = {} }) => ({
        streetLinesToken: Array.isArray(address.streetLines) ? address.streetLines.map(text) : [],
        city: text(address.city).toUpperCase(),
        stateOrProvinceCode: text(address.stateOrProvinceCode).toUpperCase(),
        postalCode: text(address.postalCode),
        countryCode: text(address.countryCode) || 'US',
        classification: 'BUSINESS',
        attributes: { Resolved: true, Matched: true, ValidlyFormed: true, CountrySupported: true },
      })),
      alerts: [],
    },
  });
}

/**
 * The Ship API's answers to the shipment faults, each the [FDX-SHIP] example for its status:
 * 400 ACCOUNTNUMBER.REGISTRATION.REQUIRED, 403 FORBIDDEN.ERROR, 500 INTERNAL.SERVER.ERROR.
 */
const FEDEX_SHIPPING: ShippingDefinition = {
  isShipmentRequest: (req) => req.method === 'POST' && req.path === FEDEX_PATHS.ship,
  validationError: (req) => invalidAccount(req),
  forbidden: (req) =>
    fedexError(
      req,
      403,
      'FORBIDDEN.ERROR',
      'We could not authorize your credentials. Please check your permissions and try again.',
    ),
  serverError: (req) => fedexError(req, 500, 'INTERNAL.SERVER.ERROR', MESSAGES.internal),
};

const invalidAccount = (req: SimRequest) =>
  fedexError(
    req,
    400,
    'ACCOUNTNUMBER.REGISTRATION.REQUIRED',
    'Please enter a valid 9-digit FedEx account number or register for a new FedEx account number.',
  );
/** [SR-I101] observed code and wording. */
const accountMismatch = (req: SimRequest) =>
  fedexError(
    req,
    400,
    'ACCOUNT.NUMBER.MISMATCH',
    'Account Number Mismatch -As the payment Type is SENDER, ShippingChargesPayment Payor AccountNumber should match the shipper account number .Please update and try again.',
  );
/** Any other missing or invalid member. [FDX-SHIP] lists no such code: synthetic, UNVERIFIED. */
const invalidShipment = (req: SimRequest, field: string) =>
  fedexError(
    req,
    400,
    'SHIPMENT.VALIDATION.ERROR',
    `Invalid or missing field: ${field}. Please modify your request and try again.`,
  );

/** [FDX-SHIP] enums used by the checks below. */
const PICKUP_TYPES = new Set([
  'CONTACT_FEDEX_TO_SCHEDULE',
  'DROPOFF_AT_FEDEX_LOCATION',
  'USE_SCHEDULED_PICKUP',
]);
const PAYMENT_TYPES = new Set(['SENDER', 'RECIPIENT', 'THIRD_PARTY', 'COLLECT']);
const IMAGE_TYPES = new Set(['ZPLII', 'EPL2', 'PDF', 'PNG']);
const WEIGHT_UNITS = new Set(['KG', 'LB']);

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): value is string => typeof value === 'string' && value.trim() !== '';
const positive = (value: unknown) => typeof value === 'number' && value > 0;

/** [FDX-SHIP] PartyAddress_2 (streetLines, city, countryCode) and PartyContact (phoneNumber). */
function partyProblem(party: unknown, name: string): string | undefined {
  const address = obj(obj(party)?.['address']);
  if (!address) return `${name}.address`;
  const lines = address['streetLines'];
  if (!Array.isArray(lines) || !lines.some(text)) return `${name}.address.streetLines`;
  if (!text(address['city'])) return `${name}.address.city`;
  if (typeof address['countryCode'] !== 'string' || !/^[A-Z]{2}$/.test(address['countryCode']))
    return `${name}.address.countryCode`;
  const phone = obj(obj(party)?.['contact'])?.['phoneNumber'];
  if (typeof phone !== 'string' || !/^\+?\d{10,15}$/.test(phone)) return `${name}.contact.phoneNumber`;
  return undefined;
}

interface ValidShipment {
  serviceType: string;
  imageType: string;
  urlOnly: boolean;
  pieces: number;
}

/** The required members of [FDX-SHIP] Full_Schema_Ship, checked as FedEx would before making labels. */
function validateShipment(req: SimRequest): ValidShipment | SimResponse {
  const body = obj(jsonOf(req));
  if (!body) return invalidShipment(req, 'body');
  const account = obj(body['accountNumber'])?.['value'];
  if (typeof account !== 'string' || !/^\d{9}$/.test(account)) return invalidAccount(req);
  const responseOption = body['labelResponseOptions'];
  if (responseOption !== 'LABEL' && responseOption !== 'URL_ONLY')
    return invalidShipment(req, 'labelResponseOptions');
  const shipment = obj(body['requestedShipment']);
  if (!shipment) return invalidShipment(req, 'requestedShipment');
  const recipients = shipment['recipients'];
  if (!Array.isArray(recipients) || recipients.length === 0)
    return invalidShipment(req, 'requestedShipment.recipients');
  const partyError =
    partyProblem(shipment['shipper'], 'requestedShipment.shipper') ??
    recipients.map((r, i) => partyProblem(r, `requestedShipment.recipients[${i}]`)).find(Boolean);
  if (partyError) return invalidShipment(req, partyError);
  if (!PICKUP_TYPES.has(String(shipment['pickupType'])))
    return invalidShipment(req, 'requestedShipment.pickupType');
  if (!text(shipment['serviceType'])) return invalidShipment(req, 'requestedShipment.serviceType');
  if (!text(shipment['packagingType'])) return invalidShipment(req, 'requestedShipment.packagingType');
  if (!positive(shipment['totalWeight'])) return invalidShipment(req, 'requestedShipment.totalWeight');
  const payment = obj(shipment['shippingChargesPayment']);
  if (!PAYMENT_TYPES.has(String(payment?.['paymentType'])))
    return invalidShipment(req, 'requestedShipment.shippingChargesPayment.paymentType');
  const payor = obj(obj(obj(payment?.['payor'])?.['responsibleParty'])?.['accountNumber'])?.['value'];
  if (payment?.['paymentType'] === 'SENDER' && payor !== undefined && payor !== account)
    return accountMismatch(req);
  const label = obj(shipment['labelSpecification']);
  if (!IMAGE_TYPES.has(String(label?.['imageType'])))
    return invalidShipment(req, 'requestedShipment.labelSpecification.imageType');
  if (!text(label?.['labelStockType']))
    return invalidShipment(req, 'requestedShipment.labelSpecification.labelStockType');
  const items = shipment['requestedPackageLineItems'];
  if (!Array.isArray(items) || items.length === 0)
    return invalidShipment(req, 'requestedShipment.requestedPackageLineItems');
  for (const [index, item] of items.entries()) {
    const weight = obj(obj(item)?.['weight']);
    if (!WEIGHT_UNITS.has(String(weight?.['units'])) || !positive(weight?.['value']))
      return invalidShipment(req, `requestedShipment.requestedPackageLineItems[${index}].weight`);
  }
  // groupPackageCount N stands for N identical pieces (US_Domestic_SingleShot_Multi_Piece_Shipment).
  const pieces = items.reduce<number>((sum, item) => {
    const count = obj(item)?.['groupPackageCount'];
    return sum + (typeof count === 'number' && Number.isInteger(count) && count > 0 ? count : 1);
  }, 0);
  return {
    serviceType: shipment['serviceType'] as string,
    imageType: String(label?.['imageType']),
    urlOnly: responseOption === 'URL_ONLY',
    pieces,
  };
}

/** FedEx Express/Ground tracking numbers are 12 digits (spec example 794953535000). */
function fedexTrackingNumber(): string {
  return `7949${Array.from(randomBytes(8), (b) => String(b % 10)).join('')}`;
}

/** A one-page PDF with the tracking number on it, byte offsets in the xref table computed. */
function tinyPdf(line: string): Buffer {
  const content = `BT /F1 18 Tf 36 360 Td (${line.replace(/[()\\]/g, '')}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 288 432] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${content.length} >>\nstream\n${content}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.4\n';
  const offsets = objects.map((body, index) => {
    const offset = pdf.length;
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
    return offset;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  pdf += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** Smallest valid PNG (1×1), for imageType PNG. */
const LABEL_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

/** The label in the imageType asked: a PDF, a PNG, or thermal-printer text (ZPLII, EPL2). */
function encodedLabel(imageType: string, tracking: string): string {
  if (imageType === 'PDF') return tinyPdf(`FedEx ${tracking}`).toString('base64');
  if (imageType === 'PNG') return LABEL_PNG_BASE64;
  const printer =
    imageType === 'ZPLII'
      ? `^XA^FO50,50^A0N,40,40^FDFedEx ${tracking}^FS^FO50,120^BCN,120,Y,N,N^FD${tracking}^FS^XZ`
      : `N\nA50,50,0,4,1,1,N,"FedEx ${tracking}"\nB50,120,0,1,2,4,120,B,"${tracking}"\nP1\n`;
  return Buffer.from(printer, 'ascii').toString('base64');
}

/**
 * [FDX-SHIP] POST /ship/v1/shipments → SHPCResponseVO_ShipShipment: one transaction shipment whose
 * pieceResponses carry each piece's tracking number and its label (encodedLabel with LABEL, a url
 * with URL_ONLY); the first piece's number is the masterTrackingNumber.
 */
function createShipment(req: SimRequest, ctx: SimContext): SimResponse {
  const valid = validateShipment(req);
  if ('status' in valid) return valid;
  const numbers = Array.from({ length: valid.pieces }, fedexTrackingNumber);
  const master = numbers[0];
  ctx.recordLabels();
  ctx.ledger.record({ trackingNumbers: numbers, labels: [], createdAtMs: ctx.now() });
  return json(200, {
    ...envelope(req),
    output: {
      transactionShipments: [
        {
          serviceType: valid.serviceType,
          shipDatestamp: new Date(ctx.carrierNow()).toISOString().slice(0, 10),
          masterTrackingNumber: master,
          pieceResponses: numbers.map((trackingNumber, index) => ({
            masterTrackingNumber: master,
            trackingNumber,
            packageSequenceNumber: index + 1,
            packageDocuments: [
              {
                contentType: 'LABEL',
                copiesToPrint: 1,
                docType: valid.imageType,
                ...(valid.urlOnly
                  ? {
                      url: `${ctx.url}/document/v2/document/retrieve/SH,${trackingNumber}_Merge/isLabel=true`,
                    }
                  : { encodedLabel: encodedLabel(valid.imageType, trackingNumber) }),
              },
            ],
          })),
        },
      ],
      alerts: [],
    },
  });
}

// --- Cancel (issue 15) ------------------------------------------------------------------------

/** [FDX-SHIP] PUT /ship/v1/shipments/cancel (Cancel Shipment). */
const FEDEX_CANCEL_PATH = '/ship/v1/shipments/cancel';

/**
 * [FDX-SHIP] Full_Schema_Cancel_Shipment → SHPCResponseVO_CancelShipment (output.cancelledShipment).
 * FedEx documents no code for a shipment already tendered, or for an unknown tracking number:
 * 'SIM.SHIPMENT.TENDERED' and 'SIM.TRACKINGNUMBER.NOTFOUND' are synthetic (docs/carriers/unverified.md).
 */
function cancelShipment(req: SimRequest, ctx: SimContext): SimResponse {
  const body = obj(jsonOf(req));
  const trackingNumber = body?.['trackingNumber'];
  if (!text(trackingNumber) || !text(obj(body?.['accountNumber'])?.['value'])) {
    return fedexError(req, 400, 'BAD.REQUEST.ERROR', 'accountNumber and trackingNumber are required.');
  }
  const result = ctx.ledger.void(trackingNumber);
  if (result === 'gone') {
    return fedexError(
      req,
      404,
      'SIM.TRACKINGNUMBER.NOTFOUND',
      'The shipment was not found or was already cancelled.',
    );
  }
  if (result === 'too_late') {
    return fedexError(
      req,
      400,
      'SIM.SHIPMENT.TENDERED',
      'The shipment has already been tendered to FedEx and cannot be cancelled.',
    );
  }
  return json(200, {
    ...envelope(req),
    output: {
      cancelledShipment: true,
      cancelledHistory: true,
      message: 'Shipment is successfully cancelled',
    },
  });
}
