/**
 * @module carriers/ups/simulator
 * Loopback simulator of the UPS OAuth endpoints (client credentials, authorization code, refresh)
 * and three protected UPS APIs (Address Validation, Tracking, Shipping), written from the UPS
 * OpenAPI files in `shared/carrier-specs/ups/` and the facts file `carrier-auth-facts.md` §1.
 * Quirks cite their source as [UPS-CC], [UPS-AC], [UPS-XAV], [UPS-TRK], [UPS-SHIP] or a facts tag;
 * the label API's error codes also cite [UPS-ERR] (developer.ups.com/en-us/landed-cost-quoting-errors,
 * "Common Error Codes … can apply to all APIs") and [UPS-120100] (observed: gabrielbull/php-ups-api#111).
 */
import { randomBytes } from 'node:crypto';

import {
  basicCredentials,
  bearerToken,
  defaultFaults,
  formOf,
  freezeFaults,
  header,
  json,
  jsonOf,
  opaqueToken,
  startSimulator,
  type CarrierDefinition,
  type ShippingDefinition,
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
  type TokenFamily,
} from '../../src/sim/index.js';
import { UPS_RATES_READ, upsRate } from './rates-simulator.js';
import { UPS_TRACKING_READ, upsTrack } from './tracking-simulator.js';

export const UPS_PATHS = {
  /** [UPS-CC] /security has no /api prefix; putting /api there yields 404 [UPS-I26]. */
  token: '/security/v1/oauth/token',
  /** [UPS-AC] refresh has its own path, not grant_type=refresh_token at /token. */
  refresh: '/security/v1/oauth/refresh',
  authorize: '/security/v1/oauth/authorize',
  addressValidation: '/api/addressvalidation/v2/1',
  trackDetails: '/api/track/v1/details/',
  ship: '/api/shipments/v2409/ship',
} as const;

/** "expires_in":"14399" in real responses, i.e. ~4 h [UPS-CC] [KAR-UPS tests]. */
export const UPS_ACCESS_TOKEN_LIFETIME_SECONDS = 14399;
/** "604799" (~7 days) is observed, not documented [UPS-AC]; UNVERIFIED as an official lifetime. */
export const UPS_REFRESH_TOKEN_LIFETIME_SECONDS = 604799;
/** Authorization-code lifetime is not documented anywhere; UNVERIFIED, 5 minutes chosen. */
const AUTH_CODE_LIFETIME_MS = 5 * 60 * 1000;

export const UPS_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(
  defaultFaults(UPS_ACCESS_TOKEN_LIFETIME_SECONDS),
);

/** Every UPS error body, token endpoints and APIs alike [UPS-CC] tokenErrorResponse, [UPS-XAV] ErrorResponse. */
function upsError(
  status: number,
  code: string,
  message: string,
  headers?: Record<string, string>,
): SimResponse {
  return json(status, { response: { errors: [{ code, message }] } }, headers);
}

/** [UPS-SDK] 10401 covers wrong id, wrong secret and unregistered clients alike; 401 per [KAR-I503]. */
const invalidClient = () => upsError(401, '10401', 'ClientId is Invalid');
/** [UPS-SDK] 10400 "Invalid/Missing Authorization Header". */
const badAuthorizationHeader = () => upsError(400, '10400', 'Invalid/Missing Authorization Header');
/** [UPS-SDK] 10400 also covers missing/invalid parameters; the message for that case is UNVERIFIED. */
const badParameters = (what: string) => upsError(400, '10400', `Invalid/Missing ${what}`);
/** [TECHSHIP] body; the HTTP status is UNVERIFIED in the facts (400 chosen, matching code 10400). */
const invalidRefreshToken = () => upsError(400, '10400', 'Invalid Refresh Token');
/**
 * [SR-I66] [TECHSHIP] 250002 for a wrong/expired token; [UPS-XAV] declares 401 with this body shape.
 * The status for an expired token is UNVERIFIED (facts §1.5 expect 401).
 */
const invalidAuthentication = () => upsError(401, '250002', 'Invalid Authentication Information.');
/** Unknown resource under /api. Neither code nor message is documented: UNVERIFIED, synthetic code. */
const notFound = () => upsError(404, 'SIM404', 'Resource not found');
/** Synthetic code for request-validation failures of the simulated APIs (UPS's own codes are UNVERIFIED). */
const badRequest = (message: string) => upsError(400, 'SIM400', message);

export interface UpsSimulatorHandle extends SimulatorHandle {
  /**
   * Mint an authorization code as if the user had logged in at UPS and consented
   * ([UPS-AC] /authorize → UPS login → redirect with `code`). Single use.
   */
  issueAuthorizationCode(clientId: string, redirectUri: string): string;
}

interface AuthCode {
  clientId: string;
  redirectUri: string;
  expiresAtMs: number;
}

/** A UPS 1Z tracking number shape: 1Z + 6-char shipper number + 2-digit service + 8 digits. */
function trackingNumber(shipperNumber = '999AA1', service = '01'): string {
  const digits = Array.from(randomBytes(8), (b) => String(b % 10)).join('');
  return `1Z${shipperNumber}${/^\d{2}$/.test(service) ? service : '01'}${digits}`;
}

/** Smallest valid GIF (1×1): stands in for the base64 label image of [UPS-SHIP] ShippingLabel.GraphicImage. */
const LABEL_GIF_BASE64 = 'R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7';

/**
 * Start a UPS simulator on loopback.
 * @example
 * const ups = await startUpsSimulator({ clients: [{ clientId: 'id', clientSecret: 'secret' }] });
 * // POST `${ups.url}/security/v1/oauth/token` with Basic id:secret and grant_type=client_credentials
 */
export async function startUpsSimulator(options: SimulatorOptions = {}): Promise<UpsSimulatorHandle> {
  const authCodes = new Map<string, AuthCode>();

  function successBody(ctx: SimContext, clientId: string, family?: TokenFamily): Record<string, string> {
    const lifetime = ctx.faults.tokenLifetimeSeconds;
    const accessToken = opaqueToken(); // JWT vs opaque is UNVERIFIED [UPS-AC]; opaque keeps gateways from decoding it.
    const now = ctx.now();
    ctx.recordAccess(accessToken, {
      clientId,
      issuedAtMs: now,
      expiresAtMs: now + lifetime * 1000,
      ...(family ? { familyId: family.id } : {}),
    });
    // Every field is a string, expires_in and issued_at (epoch ms) included [UPS-CC] tokenSuccessResponse.
    const issuedAt = String(ctx.carrierNow());
    const body: Record<string, string> = {
      token_type: 'Bearer',
      issued_at: issuedAt,
      client_id: clientId,
      access_token: accessToken,
      scope: '',
      expires_in: String(lifetime),
      refresh_count: String(family?.refreshCount ?? 0),
      status: 'approved',
    };
    if (!family) return body;
    // [UPS-AC] generateTokenSuccessResponse / refreshTokenSuccessResponse add these, also as strings.
    return {
      ...body,
      refresh_token: ctx.mintRefresh(family),
      refresh_token_expires_in: String(UPS_REFRESH_TOKEN_LIFETIME_SECONDS),
      refresh_token_status: 'approved',
      refresh_token_issued_at: issuedAt,
    };
  }

  /** Basic client authentication, shared by /token and /refresh [UPS-CC] [UPS-AC]. */
  function authenticate(req: SimRequest, ctx: SimContext): { clientId: string } | { error: SimResponse } {
    // Raw Basic values: UPS does not document RFC 6749 §2.3.1 form-url-decoding.
    const credentials = basicCredentials(req);
    if (!credentials) return { error: badAuthorizationHeader() };
    if (ctx.checkClient(credentials.username, credentials.password) !== 'ok')
      return { error: invalidClient() };
    return { clientId: credentials.username };
  }

  function token(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.method !== 'POST') return notFound();
    const auth = authenticate(req, ctx);
    if ('error' in auth) return auth.error;
    const form = formOf(req);
    // x-merchant-id is optional [UPS-CC]; its validation rules are UNVERIFIED, so any value is accepted.
    switch (form.get('grant_type')) {
      case 'client_credentials':
        return json(200, successBody(ctx, auth.clientId));
      case 'authorization_code':
        return exchangeCode(form, auth.clientId, ctx);
      default:
        return badParameters('grant_type');
    }
  }

  /** [UPS-AC] /token with grant_type=authorization_code, code, redirect_uri (PKCE is not simulated). */
  function exchangeCode(form: URLSearchParams, clientId: string, ctx: SimContext): SimResponse {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    if (!code || !redirectUri) return badParameters(code ? 'redirect_uri' : 'code');
    const grant = authCodes.get(code);
    if (!grant || grant.clientId !== clientId || ctx.now() >= grant.expiresAtMs) {
      return upsError(400, '10400', 'Invalid Authorization Code'); // [UPS-SDK] "bad/empty auth code"; message UNVERIFIED.
    }
    // [UPS-SDK] a redirect mismatch is reported as 10401, not as a parameter error.
    if (grant.redirectUri !== redirectUri) return invalidClient();
    authCodes.delete(code);
    return json(200, successBody(ctx, clientId, ctx.newFamily(clientId)));
  }

  function refresh(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.method !== 'POST') return notFound();
    const auth = authenticate(req, ctx);
    if ('error' in auth) return auth.error;
    const form = formOf(req);
    if (form.get('grant_type') !== 'refresh_token') return badParameters('grant_type');
    const refreshToken = form.get('refresh_token');
    if (!refreshToken) return badParameters('refresh_token');
    // Single use and rotating [UPS-I90]; a reused token also revokes its family (engine).
    const redeemed = ctx.redeemRefresh(refreshToken, auth.clientId);
    if (!redeemed.ok) return invalidRefreshToken();
    return json(200, successBody(ctx, auth.clientId, redeemed.family));
  }

  /**
   * [UPS-AC] /authorize answers 302 to the UPS login page. The simulator skips the login and
   * consent screens and redirects straight back with a code, as a consenting user would.
   */
  function authorize(req: SimRequest, ctx: SimContext): SimResponse {
    const clientId = req.query.get('client_id');
    const redirectUri = req.query.get('redirect_uri');
    if (req.query.get('response_type') !== 'code' || !clientId)
      return badParameters('response_type or client_id');
    if (!redirectUri || !URL.canParse(redirectUri)) {
      return upsError(400, '10400', 'Invalid Redirect URL'); // observed body [UPS-I45]
    }
    if (!ctx.hasClient(clientId)) return invalidClient();
    const target = new URL(redirectUri);
    target.searchParams.set('code', newAuthCode(clientId, redirectUri, ctx.now()));
    const state = req.query.get('state');
    if (state !== null) target.searchParams.set('state', state);
    return { status: 302, headers: { Location: target.toString() } };
  }

  function newAuthCode(clientId: string, redirectUri: string, nowMs: number): string {
    const code = opaqueToken();
    authCodes.set(code, { clientId, redirectUri, expiresAtMs: nowMs + AUTH_CODE_LIFETIME_MS });
    return code;
  }

  function api(req: SimRequest, ctx: SimContext): SimResponse {
    // Business APIs called without /api: 250003 [OPENILLUMI] (observed; HTTP status UNVERIFIED, 401 chosen).
    if (!req.path.startsWith('/api/')) return upsError(401, '250003', 'Invalid Access License number');
    const bearer = bearerToken(req);
    if (!bearer || !ctx.checkAccess(bearer).ok) return invalidAuthentication();

    const xav = /^\/api\/addressvalidation\/(v1|v2)\/([^/]+)$/.exec(req.path);
    if (xav && req.method === 'POST') return addressValidation(req, xav[2] ?? '');
    if (UPS_TRACKING_READ.matches(req)) return upsTrack(req, ctx.carrierNow(), ctx.faults.trackingStage);
    const ship = /^\/api\/shipments\/(v\d+)\/ship$/.exec(req.path);
    if (ship && req.method === 'POST') return shipment(req, ctx);
    if (UPS_RATES_READ.matches(req)) return upsRate(req, ctx.carrierNow());
    return afterShipment(req, ctx) ?? notFound();
  }

  function route(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.path === UPS_PATHS.token) return token(req, ctx);
    if (req.path === UPS_PATHS.refresh) return refresh(req, ctx);
    if (req.path === UPS_PATHS.authorize && req.method === 'GET') return authorize(req, ctx);
    if (isApiPath(req.path)) return api(req, ctx);
    return notFound();
  }

  const definition: CarrierDefinition = {
    defaults: UPS_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: UPS_REFRESH_TOKEN_LIFETIME_SECONDS,
    isTokenPath: (path) => path === UPS_PATHS.token || path === UPS_PATHS.refresh,
    isApiPath,
    clientIdOf: (req) => basicCredentials(req)?.username,
    // [UPS-I8] [UPS-I123] observed 429 body; UPS sends no Retry-After, the fault may add one.
    throttled: (_req, retryAfter) =>
      upsError(
        429,
        '10429',
        'Too Many Requests',
        retryAfter === undefined ? undefined : { 'Retry-After': String(retryAfter) },
      ),
    // Token-endpoint 5xx bodies are NOT documented by UPS; this reuses the UPS error shape with a synthetic code.
    serverError: (_req, status) =>
      upsError(status, `10${status}`, status === 503 ? 'Service Unavailable' : 'Internal Server Error'),
    errorInSuccessBody: () => upsError(200, '10401', 'ClientId is Invalid'),
    handle: route,
    shipping: UPS_SHIPPING,
    reads: { rates: UPS_RATES_READ, tracking: UPS_TRACKING_READ },
  };

  const sim = await startSimulator(definition, options);
  return Object.assign(sim, {
    issueAuthorizationCode(clientId: string, redirectUri: string): string {
      return newAuthCode(clientId, redirectUri, (options.clock ?? Date.now)());
    },
  });
}

/** Business API paths, with or without the required /api prefix (the latter to reproduce 250003). */
function isApiPath(path: string): boolean {
  return path.startsWith('/api/') || /^\/(addressvalidation|track|shipments|rating|labels)\//.test(path);
}

/** [UPS-XAV] POST /addressvalidation/{version}/{requestoption}: 1 validation, 2 classification, 3 both. */
function addressValidation(req: SimRequest, requestOption: string): SimResponse {
  if (!['1', '2', '3'].includes(requestOption)) return badRequest('Invalid request option');
  const body = jsonOf(req) as { XAVRequest?: { AddressKeyFormat?: Record<string, unknown> } } | undefined;
  const input = body?.XAVRequest?.AddressKeyFormat;
  if (!input || typeof input !== 'object') return badRequest('Missing XAVRequest.AddressKeyFormat');
  const classification = { Code: '1', Description: 'Commercial' };
  const classify = requestOption !== '1';
  // [UPS-XAV] XAVResponse: Response.ResponseStatus required; Candidate is always an array from v2 on.
  return json(200, {
    XAVResponse: {
      Response: { ResponseStatus: { Code: '1', Description: 'Success' } },
      ValidAddressIndicator: '',
      ...(classify ? { AddressClassification: classification } : {}),
      Candidate: [
        {
          ...(classify ? { AddressClassification: classification } : {}),
          AddressKeyFormat: {
            AddressLine: input['AddressLine'] ?? [],
            PoliticalDivision2: input['PoliticalDivision2'] ?? '',
            PoliticalDivision1: input['PoliticalDivision1'] ?? '',
            PostcodePrimaryLow: input['PostcodePrimaryLow'] ?? '',
            CountryCode: input['CountryCode'] ?? 'US',
          },
        },
      ],
    },
  });
}

/** [UPS-SHIP] POST /shipments/{version}/ship (the simulator serves every vNNNN as v2409). */
const SHIP_PATH = /^\/api\/shipments\/v\d+\/ship$/;

/**
 * [UPS-ERR] common codes: 10001 not well formed, 20007 "Missing Required field, {0}.", 20008 "The field, {0}, contains
 * invalid data, {1}.", 20001 (transient) "General process failure". The HTTP statuses are UNVERIFIED
 * ([UPS-SHIP] declares 400 for an invalid request; no 5xx at all).
 */
const notWellFormed = () => upsError(400, '10001', 'The request is not well formed.');
const missingField = (field: string) => upsError(400, '20007', `Missing Required field, ${field}.`);
const invalidField = (field: string, value: unknown) =>
  upsError(400, '20008', `The field, ${field}, contains invalid data, ${String(value)}.`);
/** Observed wording and code for a bad ShipperNumber [UPS-120100]. */
const invalidShipperNumber = () => upsError(400, '120100', 'Missing or invalid shipper number');

/**
 * The label API's answers to the shipment faults. [UPS-SHIP] declares 403 "Blocked Merchant" with
 * the common error body but names no code: 'SIM403' is synthetic (UNVERIFIED).
 */
const UPS_SHIPPING: ShippingDefinition = {
  isShipmentRequest: (req) => req.method === 'POST' && SHIP_PATH.test(req.path),
  validationError: invalidShipperNumber,
  forbidden: () => upsError(403, 'SIM403', 'Blocked Merchant'),
  serverError: () => upsError(500, '20001', 'General process failure'),
};

/** Label image formats of [UPS-SHIP] LabelSpecification_LabelImageFormat.Code (no PDF). */
const LABEL_FORMATS = new Set(['GIF', 'ZPL', 'EPL', 'SPL']);
const WEIGHT_UNITS = new Set(['LBS', 'KGS', 'OZS']);

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value.trim() !== '' ? value : undefined;
/** UPS JSON is XML-derived: a repeatable element may come as one object or as an array. */
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** [UPS-SHIP] Shipper_Address / ShipTo_Address: AddressLine, City and CountryCode are required. */
function checkParty(party: unknown, name: string): SimResponse | undefined {
  const container = obj(party);
  if (!container) return missingField(name);
  if (!text(container['Name'])) return missingField(`${name}/Name`);
  const address = obj(container['Address']);
  if (!address) return missingField(`${name}/Address`);
  if (!list(address['AddressLine']).some((line) => text(line)))
    return missingField(`${name}/Address/AddressLine`);
  if (!text(address['City'])) return missingField(`${name}/Address/City`);
  const country = address['CountryCode'];
  if (typeof country !== 'string' || !/^[A-Z]{2}$/.test(country))
    return country === undefined
      ? missingField(`${name}/Address/CountryCode`)
      : invalidField(`${name}/Address/CountryCode`, country);
  return undefined;
}

/** [UPS-SHIP] Shipment_Package: Packaging.Code required; PackageWeight with a unit and a weight. */
function checkPackage(pkg: unknown, index: number): SimResponse | undefined {
  const name = `ShipmentRequest/Shipment/Package[${index}]`;
  const container = obj(pkg);
  if (!container) return missingField(name);
  if (!text(obj(container['Packaging'])?.['Code'])) return missingField(`${name}/Packaging/Code`);
  const weight = obj(container['PackageWeight']);
  if (!weight) return missingField(`${name}/PackageWeight`);
  const unit = obj(weight['UnitOfMeasurement'])?.['Code'];
  if (typeof unit !== 'string' || !WEIGHT_UNITS.has(unit))
    return invalidField(`${name}/PackageWeight/UnitOfMeasurement/Code`, unit);
  const value = weight['Weight'];
  if (typeof value !== 'string' || !/^\d+(\.\d+)?$/.test(value) || Number(value) <= 0 || value.length > 5)
    return invalidField(`${name}/PackageWeight/Weight`, value);
  return undefined;
}

interface ValidShipment {
  reference?: string;
  shipperNumber: string;
  serviceCode: string;
  labelFormat: string;
  packages: Json[];
  customerContext?: string;
}

/** [UPS-SHIP] Shipment_Service.Code, "Valid values" (Shipping.yaml l.6556-6600). */
const SERVICE_CODES = new Set(
  '01 02 03 07 08 11 12 13 14 17 54 59 65 M2 M3 M4 M5 M6 M7 70 71 72 74 75 82 83 84 85 86 96 C6 C7 C8 T0 T1'.split(
    ' ',
  ),
);
/** EU member states: inside, UPS Standard (11) needs no Description ([UPS-SHIP] ShipmentRequest_Shipment.Description). */
const EU = new Set(
  'AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE'.split(' '),
);

const countryOf = (party: unknown) => String(obj(obj(party)?.['Address'])?.['CountryCode'] ?? '');
const phoneOf = (party: unknown) => obj(obj(party)?.['Phone'])?.['Number'];

/**
 * The conditional rules [UPS-SHIP] states only in prose, which the gateway's contract kit cannot
 * see, so the simulator is where they bite (carrier-fidelity review, 1b): PaymentInformation with
 * a "01 = Transportation" charge; phones across borders (Shipper_Phone.Number "required if
 * destination is international", ShipTo_Phone.Number when the countries differ); ShipTo
 * StateProvinceCode "Required for US, Canada, and Vietnam"; Description across borders except UPS
 * Standard inside the EU; InvoiceLineTotal from the US to CA or PR. Codes 20007 / 20008 as for
 * every missing or invalid field here; UPS's own code per rule is UNVERIFIED.
 */
function checkLaneRules(shipment: Json, serviceCode: string): SimResponse | undefined {
  const charges = list(obj(shipment['PaymentInformation'])?.['ShipmentCharge']);
  if (!charges.some((charge) => obj(charge)?.['Type'] === '01'))
    return missingField('ShipmentRequest/Shipment/PaymentInformation/ShipmentCharge');
  const from = countryOf(shipment['ShipFrom'] ?? shipment['Shipper']);
  const to = countryOf(shipment['ShipTo']);
  const crossBorder = from !== to;
  if (crossBorder && !text(phoneOf(shipment['Shipper'])))
    return missingField('ShipmentRequest/Shipment/Shipper/Phone/Number');
  if (crossBorder && !text(phoneOf(shipment['ShipTo'])))
    return missingField('ShipmentRequest/Shipment/ShipTo/Phone/Number');
  if (
    ['US', 'CA', 'VN'].includes(to) &&
    !text(obj(obj(shipment['ShipTo'])?.['Address'])?.['StateProvinceCode'])
  )
    return missingField('ShipmentRequest/Shipment/ShipTo/Address/StateProvinceCode');
  const euStandard = EU.has(from) && EU.has(to) && serviceCode === '11';
  if (crossBorder && !euStandard && !text(shipment['Description']))
    return missingField('ShipmentRequest/Shipment/Description');
  if (
    ['US', 'PR'].includes(from) &&
    ['CA', 'PR'].includes(to) &&
    from !== to &&
    !obj(shipment['InvoiceLineTotal'])
  )
    return missingField('ShipmentRequest/Shipment/InvoiceLineTotal');
  return undefined;
}

/** The required members of [UPS-SHIP] SHIPRequestWrapper, checked as UPS would before making a label. */
function validateShipment(req: SimRequest): ValidShipment | SimResponse {
  const root = obj(jsonOf(req));
  if (!root) return notWellFormed();
  const request = obj(root['ShipmentRequest']);
  if (!request) return missingField('ShipmentRequest');
  if (!text(obj(request['Request'])?.['RequestOption']))
    return missingField('ShipmentRequest/Request/RequestOption');
  const shipment = obj(request['Shipment']);
  if (!shipment) return missingField('ShipmentRequest/Shipment');
  const shipperNumber = obj(shipment['Shipper'])?.['ShipperNumber'];
  if (typeof shipperNumber !== 'string' || !/^[0-9A-Z]{6}$/.test(shipperNumber))
    return invalidShipperNumber();
  const partyError =
    checkParty(shipment['Shipper'], 'ShipmentRequest/Shipment/Shipper') ??
    checkParty(shipment['ShipTo'], 'ShipmentRequest/Shipment/ShipTo');
  if (partyError) return partyError;
  const serviceCode = obj(shipment['Service'])?.['Code'];
  if (typeof serviceCode !== 'string' || serviceCode.length !== 2)
    return serviceCode === undefined
      ? missingField('ShipmentRequest/Shipment/Service/Code')
      : invalidField('ShipmentRequest/Shipment/Service/Code', serviceCode);
  if (!SERVICE_CODES.has(serviceCode))
    return invalidField('ShipmentRequest/Shipment/Service/Code', serviceCode);
  const laneError = checkLaneRules(shipment, serviceCode);
  if (laneError) return laneError;
  const packages = list(shipment['Package']);
  if (packages.length === 0) return missingField('ShipmentRequest/Shipment/Package');
  for (const [index, pkg] of packages.entries()) {
    const error = checkPackage(pkg, index);
    if (error) return error;
  }
  // [UPS-SHIP] LabelSpecification: LabelImageFormat and LabelStockSize are required.
  const labelSpecification = obj(request['LabelSpecification']);
  if (!labelSpecification) return missingField('ShipmentRequest/LabelSpecification');
  const labelFormat = obj(labelSpecification['LabelImageFormat'])?.['Code'];
  if (typeof labelFormat !== 'string' || !LABEL_FORMATS.has(labelFormat.toUpperCase()))
    return invalidField('ShipmentRequest/LabelSpecification/LabelImageFormat/Code', labelFormat);
  if (!obj(labelSpecification['LabelStockSize']))
    return missingField('ShipmentRequest/LabelSpecification/LabelStockSize');
  const customerContext = obj(obj(request['Request'])?.['TransactionReference'])?.['CustomerContext'];
  // [UPS-SHIP] Shipment_ReferenceNumber or Package_ReferenceNumber (US/US): the customer's reference.
  const reference = [shipment['ReferenceNumber'], obj(packages[0])?.['ReferenceNumber']]
    .flatMap((value) => list(value))
    .map((entry) => obj(entry)?.['Value'])
    .find((value): value is string => typeof value === 'string');
  return {
    ...(reference !== undefined ? { reference } : {}),
    shipperNumber,
    serviceCode,
    labelFormat: labelFormat.toUpperCase(),
    packages: packages as Json[],
    ...(typeof customerContext === 'string' ? { customerContext } : {}),
  };
}

/** A label in the format asked: the 1×1 GIF, or a ZPL (EPL/SPL: the same text stands in) with the barcode. */
function labelImage(format: string, tracking: string): string {
  if (format === 'GIF') return LABEL_GIF_BASE64;
  const zpl = `^XA^FO50,50^A0N,40,40^FDUPS ${tracking}^FS^FO50,120^BCN,120,Y,N,N^FD${tracking}^FS^XZ`;
  return Buffer.from(zpl, 'ascii').toString('base64');
}

/**
 * [UPS-SHIP] POST /shipments/{version}/ship → ShipmentResponse: one PackageResults per package
 * (always an array from v2403 on), each with its 1Z number and ShippingLabel in the format asked.
 */
function shipment(req: SimRequest, ctx: SimContext): SimResponse {
  const valid = validateShipment(req);
  if ('status' in valid) return valid;
  const results = valid.packages.map(() => {
    const tracking = trackingNumber(valid.shipperNumber, valid.serviceCode);
    return {
      TrackingNumber: tracking,
      ShippingLabel: {
        ImageFormat: { Code: valid.labelFormat, Description: valid.labelFormat },
        GraphicImage: labelImage(valid.labelFormat, tracking),
      },
    };
  });
  ctx.recordLabels();
  ctx.ledger.record({
    trackingNumbers: results.map((result) => result.TrackingNumber),
    ...(valid.reference !== undefined ? { reference: valid.reference } : {}),
    labels: results.map((result) => ({ format: valid.labelFormat, data: result.ShippingLabel.GraphicImage })),
    createdAtMs: ctx.now(),
  });
  const weights = valid.packages.map((pkg) => obj(pkg['PackageWeight']) ?? {});
  const unit = String(obj(weights[0]?.['UnitOfMeasurement'])?.['Code'] ?? 'KGS');
  const total = weights.reduce((sum, weight) => sum + Number(weight['Weight']), 0);
  return json(200, {
    ShipmentResponse: {
      Response: {
        ResponseStatus: { Code: '1', Description: 'Success' },
        // [UPS-XAV]/[UPS-SHIP] Response_TransactionReference: CustomerContext is echoed back from the request.
        ...(valid.customerContext !== undefined
          ? { TransactionReference: { CustomerContext: valid.customerContext } }
          : {}),
      },
      ShipmentResults: {
        // ShipmentResults_ShipmentCharges requires TransportationCharges, ServiceOptionsCharges
        // and TotalCharges ([UPS-SHIP] l.11677); the amounts are made up.
        ShipmentCharges: {
          TransportationCharges: { CurrencyCode: 'USD', MonetaryValue: '12.34' },
          ServiceOptionsCharges: { CurrencyCode: 'USD', MonetaryValue: '0.00' },
          TotalCharges: { CurrencyCode: 'USD', MonetaryValue: '12.34' },
        },
        // ShipmentResults.BillingWeight is the one required member; its Weight is exactly 8
        // characters (minLength = maxLength = 8, l.12318), zero-padded here.
        BillingWeight: { UnitOfMeasurement: { Code: unit }, Weight: total.toFixed(1).padStart(8, '0') },
        ShipmentIdentificationNumber: results[0]?.TrackingNumber,
        PackageResults: results,
      },
    },
  });
}

/**
 * A minimal valid [UPS-SHIP] shipment body (domestic US, one package, GIF label), for tests that
 * need one without the gateway's adapter.
 */
export function upsExampleShipmentRequest(shipperNumber = 'A1B2C3'): Record<string, unknown> {
  const address = (line: string, city: string, state: string, postal: string) => ({
    AddressLine: [line],
    City: city,
    StateProvinceCode: state,
    PostalCode: postal,
    CountryCode: 'US',
  });
  return {
    ShipmentRequest: {
      Request: { RequestOption: 'nonvalidate', TransactionReference: { CustomerContext: 'example' } },
      Shipment: {
        Shipper: {
          Name: 'ShipperName',
          ShipperNumber: shipperNumber,
          Address: address('2311 York Rd', 'Timonium', 'MD', '21093'),
        },
        ShipTo: { Name: 'Happy Dog Pet Supply', Address: address('123 Main St', 'Timonium', 'MD', '21030') },
        PaymentInformation: {
          ShipmentCharge: [{ Type: '01', BillShipper: { AccountNumber: shipperNumber } }],
        },
        Service: { Code: '03' },
        Package: [
          { Packaging: { Code: '02' }, PackageWeight: { UnitOfMeasurement: { Code: 'LBS' }, Weight: '5' } },
        ],
      },
      LabelSpecification: {
        LabelImageFormat: { Code: 'GIF' },
        LabelStockSize: { Height: '6', Width: '4' },
        HTTPUserAgent: 'Mozilla/4.5',
      },
    },
  };
}

// --- After the label: void and track by reference (issue 15) ------------------------------------

/**
 * [UPS-SHIP] DELETE /shipments/{version}/void/cancel/{shipmentidentificationnumber} and
 * [UPS-TRK] GET /track/v1/reference/details/{referenceNumber}, over the shipments this simulator made.
 */
function afterShipment(req: SimRequest, ctx: SimContext): SimResponse | undefined {
  const voidPath = /^\/api\/shipments\/v\d+\/void\/cancel\/([^/]+)$/.exec(req.path);
  if (voidPath && req.method === 'DELETE') return voidShipment(decodeURIComponent(voidPath[1] ?? ''), ctx);
  const reference = /^\/api\/track\/v1\/reference\/details\/([^/]+)$/.exec(req.path);
  if (reference && req.method === 'GET')
    return trackByReference(req, decodeURIComponent(reference[1] ?? ''), ctx);
  if (/^\/api\/labels\/v\d+\/recovery$/.test(req.path) && req.method === 'POST')
    return labelRecovery(req, ctx);
  return undefined;
}

/**
 * [UPS-SHIP] POST /labels/{version}/recovery (LabelRecovery): by LabelRecoveryRequest.TrackingNumber,
 * the label again, for every package of its shipment (LabelResults, each with TrackingNumber and
 * LabelImage {LabelImageFormat, GraphicImage}; ShipmentIdentificationNumber is the lead package),
 * in the format asked (LabelSpecification.LabelImageFormat.Code, "Default is GIF"). Nothing new is
 * made: `labelsCreated` does not move. An unknown or voided number gets 400 with the synthetic
 * code 'SIM120000' (UPS's own code for it is not in the saved spec).
 */
function labelRecovery(req: SimRequest, ctx: SimContext): SimResponse {
  const request = obj(obj(jsonOf(req))?.['LabelRecoveryRequest']);
  if (!request) return missingField('LabelRecoveryRequest');
  const number = request['TrackingNumber'];
  if (typeof number !== 'string' || number === '') return missingField('LabelRecoveryRequest/TrackingNumber');
  const asked = obj(obj(request['LabelSpecification'])?.['LabelImageFormat'])?.['Code'];
  const format = typeof asked === 'string' ? asked.toUpperCase() : 'GIF';
  if (!LABEL_FORMATS.has(format))
    return invalidField('LabelRecoveryRequest/LabelSpecification/LabelImageFormat/Code', asked);
  const entry = ctx.ledger.find(number);
  if (!entry || entry.state === 'voided')
    return upsError(400, 'SIM120000', 'No label found for the tracking number');
  const customerContext = obj(obj(request['Request'])?.['TransactionReference'])?.['CustomerContext'];
  return json(200, {
    LabelRecoveryResponse: {
      Response: {
        ResponseStatus: { Code: '1', Description: 'Success' },
        ...(typeof customerContext === 'string'
          ? { TransactionReference: { CustomerContext: customerContext } }
          : {}),
      },
      ShipmentIdentificationNumber: entry.trackingNumbers[0],
      LabelResults: entry.trackingNumbers.map((tracking, index) => ({
        TrackingNumber: tracking,
        LabelImage: {
          LabelImageFormat: { Code: format },
          GraphicImage:
            entry.labels[index]?.format === format ? entry.labels[index].data : labelImage(format, tracking),
        },
      })),
    },
  });
}

/**
 * [UPS-SHIP] VoidShipmentResponse: Response.ResponseStatus and SummaryResult.Status, Code "1" on
 * success. UPS documents no code for a shipment that can no longer be voided: 'SIM190117' and
 * 'SIM190100' are synthetic (docs/carriers/unverified.md), in the common error body.
 */
function voidShipment(identificationNumber: string, ctx: SimContext): SimResponse {
  const result = ctx.ledger.void(identificationNumber);
  if (result === 'gone')
    return upsError(400, 'SIM190100', 'No shipment found within the allowed void period');
  if (result === 'too_late') {
    return upsError(400, 'SIM190117', 'The shipment has been picked up or manifested and cannot be voided');
  }
  const pieces = ctx.ledger.find(identificationNumber)?.trackingNumbers ?? [identificationNumber];
  return json(200, {
    VoidShipmentResponse: {
      Response: { ResponseStatus: { Code: '1', Description: 'Success' } },
      SummaryResult: { Status: { Code: '1', Description: 'Voided' } },
      PackageLevelResults: pieces.map((number) => ({
        TrackingNumber: number,
        Status: { Code: '1', Description: 'Voided' },
      })),
    },
  });
}

/** [UPS-TRK] Track by Reference Number: the shipments carrying it, or 404 "Tracking number information not found". */
function trackByReference(req: SimRequest, reference: string, ctx: SimContext): SimResponse {
  if (!header(req, 'transid') || !header(req, 'transactionsrc')) {
    return badRequest('Missing required header: transId and transactionSrc');
  }
  const found = ctx.ledger.byReference(reference);
  if (found.length === 0) return upsError(404, 'SIM404', 'Tracking number information not found');
  return json(200, {
    trackResponse: {
      shipment: found.map((entry) => ({
        inquiryNumber: reference,
        package: entry.trackingNumbers.map((number) => ({
          trackingNumber: number,
          currentStatus: { code: 'MP', description: 'Shipper created a label' },
          activity: [],
        })),
      })),
    },
  });
}
