/**
 * @module carriers/dhl-parcel-de/simulator
 * Loopback simulator of DHL Parcel Germany: the ROPC token endpoint (`/token`, `/hello`, version)
 * of the Account Authorization API and a slice of the Shipping API v2 (version, `POST /orders` with
 * PDF or ZPL2 labels, one counted per created shipment, and the kit's shipment faults),
 * written from `shared/carrier-specs/dhl/pp-account-auth-ropc_0.yaml` [ROPC],
 * `shared/carrier-specs/dhl/parcel-de-shipping-v2_2.yaml` [SHIP] and `carrier-auth-facts.md` §3a
 * (tags [DHL-ROPC], [DHL-SHIP], [NR-I80], [KAR-DHLDE]). Every choice the sources leave open is
 * marked UNVERIFIED where it is made.
 */
import { randomBytes, randomUUID } from 'node:crypto';

import {
  basicCredentials,
  bearerToken,
  defaultFaults,
  formOf,
  freezeFaults,
  header,
  isFormContentType,
  json,
  jsonOf,
  startSimulator,
  type AccessRecord,
  type CarrierDefinition,
  type ShippingDefinition,
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
} from '../../src/sim/index.js';

const AUTH_BASE = '/parcel/de/account/auth/ropc/v1';
const SHIPPING_BASE = '/parcel/de/shipping/v2';

export const DHL_PARCEL_DE_PATHS = {
  /** [ROPC] servers `.../parcel/de/account/auth/ropc/v1` + `POST /token`. */
  token: `${AUTH_BASE}/token`,
  /** [ROPC] `GET /hello`: "allows testing of the token and also alternative authentication methods". */
  hello: `${AUTH_BASE}/hello`,
  /** [ROPC] `GET /`: the version, "does __not__ require authentication". */
  authVersion: `${AUTH_BASE}/`,
  /** [SHIP] `GET /` rootGet, `security: []`. */
  shippingVersion: `${SHIPPING_BASE}/`,
  /** [SHIP] `POST /orders` createOrders. */
  orders: `${SHIPPING_BASE}/orders`,
} as const;

/** [ROPC] TokenResponse example `"expires_in": 1799` ([DHL-ROPC] 4: ~30 min). */
export const DHL_PARCEL_DE_ACCESS_TOKEN_LIFETIME_SECONDS = 1799;

/** [ROPC] /token requestBody examples, "Example values can be used as-is to try out with the sandbox". */
export const DHL_PARCEL_DE_SANDBOX_USER: Readonly<DhlParcelDeUser> = Object.freeze({
  username: 'user-valid',
  password: 'SandboxPasswort2023!',
});

export const DHL_PARCEL_DE_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(
  defaultFaults(DHL_PARCEL_DE_ACCESS_TOKEN_LIFETIME_SECONDS),
);

/** A GKP (business customer portal) user: the resource owner of the password grant [ROPC]. */
export interface DhlParcelDeUser {
  username: string;
  password: string;
}

export interface DhlParcelDeSimulatorOptions extends SimulatorOptions {
  /** GKP users accepted by `/token` and by the legacy Basic scheme. Default: {@link DHL_PARCEL_DE_SANDBOX_USER}. */
  users?: DhlParcelDeUser[];
}

/** [ROPC] /hello example `gkp_ekp: '5018717062'`: the customer number the simulated users belong to. */
const SIM_EKP = '5018717062';
/** [ROPC] TokenResponse `access_token.maxLength: 50`; the example token is 28 alphanumerics (Apigee). */
const TOKEN_LENGTH = 28;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** RFC 6749 §5.1: token responses must not be cached. DHL's own headers are UNVERIFIED. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const PROBLEM_JSON = { 'Content-Type': 'application/problem+json' };

/** Opaque, unguessable, alphanumeric like the [ROPC] example; rejection sampling keeps it unbiased. */
function dhlAccessToken(): string {
  let token = '';
  while (token.length < TOKEN_LENGTH) {
    for (const byte of randomBytes(TOKEN_LENGTH * 2)) {
      if (byte < 248 && token.length < TOKEN_LENGTH) token += ALPHANUMERIC[byte % 62];
    }
  }
  return token;
}

/**
 * The token endpoint's 400/401/403 are declared without a body ([ROPC] components.responses;
 * facts §3a.5 and §7: UNVERIFIED). The endpoint implements "OAuth2 Password Grant (RFC 6749)"
 * ([ROPC] info), so the simulator answers RFC 6749 §5.2 bodies.
 */
function oauthError(status: number, error: string, description: string): SimResponse {
  return json(status, { error, error_description: description });
}

/**
 * [SHIP] RequestStatus {title, status, statusCode (deprecated, still `required`), instance,
 * detail (maxLength 80)} as `application/problem+json`, the body of Unauthorized, NotFound,
 * TooManyRequests and InternalServerError.
 */
function problem(
  status: number,
  title: string,
  detail: string,
  instance: string,
  headers?: Record<string, string>,
): SimResponse {
  return json(
    status,
    { title, status, statusCode: status, instance, detail },
    { ...PROBLEM_JSON, ...headers },
  );
}

/** [NR-I80] observed 401 wording on a Parcel DE API (problem+json); used for every 401 here. */
const AUTH_FAILED = 'Authentication failed. Please check your access credentials.';
const unauthorized = (req: SimRequest) => problem(401, 'Unauthorized', AUTH_FAILED, req.path);
/**
 * [ROPC] /hello: "Both old-style (apikey + basic auth) and token-based authentication are
 * supported. [...] Using different combinations of credentials will result in errors." Which error
 * is not said: 401 ("bad or missing credentials", [ROPC] responses.401) is UNVERIFIED.
 */
const mixedCredentials = (req: SimRequest) =>
  problem(401, 'Unauthorized', 'Use either a Bearer token or dhl-api-key with Basic, not both.', req.path);
/** [SHIP] NotFound is a RequestStatus; the wording is UNVERIFIED. */
const notFound = (req: SimRequest) => problem(404, 'Not Found', 'Resource not found.', req.path);

/**
 * Smallest one-page blank PDF (4×6 in): stands in for [SHIP] Document.b64 with fileFormat PDF.
 * It has no xref table, which PDF readers rebuild.
 */
const LABEL_PDF_BASE64 = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n' +
    '2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\n' +
    'trailer<</Root 1 0 R>>\n%%EOF\n',
).toString('base64');

/** 18 digits with the prefix of [SHIP] LabelDataResponse example `shipmentNo: 340434310428091700`. */
function shipmentNumber(): string {
  return `340434${Array.from(randomBytes(12), (b) => String(b % 10)).join('')}`;
}

type ApiAuth =
  | { kind: 'bearer'; record: AccessRecord }
  | { kind: 'legacy'; username: string }
  | { kind: 'rejected'; response: SimResponse };

/**
 * Start a DHL Parcel DE simulator on loopback.
 * @example
 * const dhl = await startDhlParcelDeSimulator({ clients: [{ clientId: 'key', clientSecret: 'secret' }] });
 * // POST `${dhl.url}/parcel/de/account/auth/ropc/v1/token`, form grant_type=password&client_id=key
 * //   &client_secret=secret&username=user-valid&password=SandboxPasswort2023!
 */
export async function startDhlParcelDeSimulator(
  options: DhlParcelDeSimulatorOptions = {},
): Promise<SimulatorHandle> {
  const users = new Map((options.users ?? [DHL_PARCEL_DE_SANDBOX_USER]).map((u) => [u.username, u.password]));
  // [ROPC] /hello example `id_of_app_developer: dpdhl-nonprod@@@<uuid>`: one developer per simulator.
  const developerId = `dhl-parcel-de-sim@@@${randomUUID()}`;

  function token(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.method !== 'POST') return problem(405, 'Method Not Allowed', 'Use POST.', req.path);
    // [ROPC] the requestBody declares application/x-www-form-urlencoded only.
    if (!isFormContentType(req)) return oauthError(400, 'invalid_request', 'Expected a form body.');
    // Everything goes in the body, "no Basic header" ([DHL-ROPC] 3); RFC 6749 §2.3: a client MUST
    // NOT use more than one authentication method in a request.
    if (header(req, 'authorization') !== undefined) {
      return oauthError(400, 'invalid_request', 'Send the client credentials in the body only.');
    }
    const form = formOf(req);
    const grantType = form.get('grant_type');
    if (!grantType) return oauthError(400, 'invalid_request', 'Missing grant_type.');
    // [ROPC] grant_type enum [password]; RFC 6749 §5.2 names any other grant unsupported_grant_type.
    if (grantType !== 'password')
      return oauthError(400, 'unsupported_grant_type', 'Use grant_type=password.');
    // [ROPC] all five fields are `required`: a request without one is malformed (responses.400).
    const missing = ['client_id', 'client_secret', 'username', 'password'].filter((name) => !form.get(name));
    if (missing.length > 0) return oauthError(400, 'invalid_request', `Missing ${missing.join(', ')}.`);
    const clientId = form.get('client_id')!;
    const username = form.get('username')!;
    // 401 for bad credentials of either kind ([ROPC] responses.401, "bad or missing credentials");
    // the RFC 6749 code tells a wrong app key/secret from a wrong GKP user (status and body UNVERIFIED).
    if (ctx.checkClient(clientId, form.get('client_secret')!) !== 'ok') {
      return oauthError(401, 'invalid_client', 'Client authentication failed.');
    }
    if (users.get(username) !== form.get('password')) {
      return oauthError(401, 'invalid_grant', 'Invalid GKP user name or password.');
    }

    const lifetime = ctx.faults.tokenLifetimeSeconds;
    const accessToken = dhlAccessToken();
    const now = ctx.now();
    ctx.recordAccess(accessToken, {
      clientId,
      subject: username,
      issuedAtMs: now,
      expiresAtMs: now + lifetime * 1000,
    });
    // [ROPC] TokenResponse: exactly these three fields, integer expires_in, no refresh token ([DHL-ROPC] 4).
    return json(200, { access_token: accessToken, token_type: 'Bearer', expires_in: lifetime }, NO_STORE);
  }

  /** Bearer ([ROPC] bearerAuth, [SHIP] OAuth2) or the old dhl-api-key + Basic GKP user ([SHIP] ApiKey, BasicAuth). */
  function authenticate(req: SimRequest, ctx: SimContext): ApiAuth {
    const bearer = bearerToken(req);
    const apiKey = header(req, 'dhl-api-key');
    if (bearer !== undefined && apiKey !== undefined)
      return { kind: 'rejected', response: mixedCredentials(req) };
    if (bearer !== undefined) {
      // Unknown, expired and prematurely dropped tokens look alike: DHL's expired-token answer is
      // UNVERIFIED (facts §7), so all get the one 401.
      const check = ctx.checkAccess(bearer);
      return check.ok
        ? { kind: 'bearer', record: check.record }
        : { kind: 'rejected', response: unauthorized(req) };
    }
    const basic = basicCredentials(req);
    if (
      apiKey !== undefined &&
      basic &&
      ctx.hasClient(apiKey) &&
      users.get(basic.username) === basic.password
    ) {
      return { kind: 'legacy', username: basic.username };
    }
    return { kind: 'rejected', response: unauthorized(req) };
  }

  /** [ROPC] /hello 200 example: accesstoken-info for a token, gkp-info for the GKP user. */
  function hello(auth: Exclude<ApiAuth, { kind: 'rejected' }>, ctx: SimContext): SimResponse {
    // The example also echoes `gkp_pass`; the simulator never returns a password.
    if (auth.kind === 'legacy')
      return json(200, { 'gkp-info': { gkp_user: auth.username, gkp_ekp: SIM_EKP } });
    const { record } = auth;
    return json(200, {
      'accesstoken-info': {
        expires_in_s: Math.max(0, Math.floor((record.expiresAtMs - ctx.now()) / 1000)),
        id_of_app_developer: developerId,
        name_of_registered_app: 'dhl-parcel-de-sim-app',
        name_of_apiproduct: 'pp-account-auth-ropc',
      },
      'gkp-info': { gkp_user: record.subject ?? '', gkp_ekp: SIM_EKP },
    });
  }

  function api(req: SimRequest, ctx: SimContext): SimResponse {
    const path = req.path.endsWith('/') ? req.path : `${req.path}/`;
    // Both version resources need no authentication ([ROPC] GET /, [SHIP] rootGet `security: []`).
    if (req.method === 'GET' && path === DHL_PARCEL_DE_PATHS.authVersion) {
      // [ROPC] amp.version pattern ^v\d{1,2}\.\d{1,2}(\.\d{1,2})?$; info.version 2.0.5.
      return json(200, {
        amp: { name: 'pp-account-auth-ropc', version: 'v2.0.5', rev: '151', env: 'sandbox' },
      });
    }
    if (req.method === 'GET' && path === DHL_PARCEL_DE_PATHS.shippingVersion) {
      // [SHIP] ServiceInformation; info.version 2.1.13.
      return json(200, {
        amp: { name: 'pp-parcel-shipping-native', version: 'v2.1.13', rev: '22', env: 'sandbox' },
        backend: { version: 'v2.1.13', env: 'sandbox' },
      });
    }
    const auth = authenticate(req, ctx);
    if (auth.kind === 'rejected') return auth.response;
    if (req.method === 'GET' && req.path === DHL_PARCEL_DE_PATHS.hello) return hello(auth, ctx);
    if (req.method === 'POST' && req.path === DHL_PARCEL_DE_PATHS.orders) return createOrders(req, ctx);
    if (req.method === 'DELETE' && req.path === DHL_PARCEL_DE_PATHS.orders) return deleteOrders(req, ctx);
    return notFound(req);
  }

  function route(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.path === DHL_PARCEL_DE_PATHS.token) return token(req, ctx);
    if (isApiPath(req.path)) return api(req, ctx);
    return notFound(req);
  }

  const definition: CarrierDefinition = {
    defaults: DHL_PARCEL_DE_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: null, // no refresh token ([DHL-ROPC] 4)
    isTokenPath: (path) => path === DHL_PARCEL_DE_PATHS.token,
    isApiPath,
    clientIdOf: (req) => formOf(req).get('client_id') ?? undefined,
    // The token endpoint shares its host with the business APIs ([ROPC] and [SHIP] `servers`), whose
    // 429 and 500 [SHIP] declares as RequestStatus problem+json (TooManyRequests, InternalServerError);
    // RFC 6749 §5.2 has no token-endpoint code for either. For /token itself this shape is UNVERIFIED.
    // No Retry-After unless the fault sets one (none is documented).
    throttled: (req, retryAfter) =>
      problem(
        429,
        'Too Many Requests',
        'Rate limit exceeded.',
        req.path,
        retryAfter === undefined ? undefined : { 'Retry-After': String(retryAfter) },
      ),
    serverError: (req, status) =>
      status === 503
        ? problem(503, 'Service Unavailable', 'The service is temporarily unavailable.', req.path)
        : problem(500, 'Internal Server Error', 'An unexpected error occurred.', req.path),
    errorInSuccessBody: () => oauthError(200, 'invalid_client', 'Client authentication failed.'),
    handle: route,
    shipping: DHL_PARCEL_DE_SHIPPING,
  };

  return startSimulator(definition, options);
}

/** Everything under /parcel/de/ but the token endpoint: the auth API's /hello and version, and Shipping. */
function isApiPath(path: string): boolean {
  return path.startsWith('/parcel/de/') && path !== DHL_PARCEL_DE_PATHS.token;
}

interface ValidationMessage {
  property: string;
  validationMessage: string;
  validationState: 'Error';
}

/** [SHIP] `Product` enum. */
const PRODUCTS = new Set(['V01PAK', 'V53WPAK', 'V54EPAK', 'V62WP', 'V62KP', 'V66WPI']);
/** [SHIP] `docFormat` enum (default PDF). */
const DOC_FORMATS = new Set(['PDF', 'ZPL2']);
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * [SHIP] Shipper (without `shipperRef`) and ContactAddress require name1, addressStreet, city and
 * country, the country as ISO 3166-1 alpha-3 ([SHIP] `Country`). Lockers, post offices and P.O.
 * boxes (recognised by their ids) are not checked.
 */
function addressProblems(
  address: unknown,
  at: string,
  add: (property: string, message: string) => void,
): void {
  if (!isRecord(address) || 'shipperRef' in address) return;
  if (['lockerID', 'retailID', 'poBoxID'].some((id) => id in address)) return;
  for (const field of ['name1', 'addressStreet', 'city']) {
    if (typeof address[field] !== 'string' || address[field] === '')
      add(`${at}.${field}`, 'must not be empty');
  }
  if (typeof address['country'] !== 'string' || !/^[A-Z]{3}$/.test(address['country']))
    add(`${at}.country`, 'must be an ISO 3166-1 alpha-3 country code');
}

/**
 * [SHIP] CustomsDetails "mandatory depending on whether the parcel will go to a country outside the
 * European Customs Union": the EU member states in [SHIP] `Country` (alpha-3), written here apart
 * from the adapter's tables so that the two do not agree by construction.
 */
const EU_COUNTRIES = new Set(
  'AUT BEL BGR CYP CZE DEU DNK EST ESP FIN FRA GRC HRV HUN IRL ITA LTU LUX LVA MLT NLD POL PRT ROU SWE SVN SVK'.split(
    ' ',
  ),
);
/** [SHIP] CustomsDetails.exportType enum. */
const EXPORT_TYPES = new Set([
  'OTHER',
  'PRESENT',
  'COMMERCIAL_SAMPLE',
  'DOCUMENT',
  'RETURN_OF_GOODS',
  'COMMERCIAL_GOODS',
]);

/** [SHIP] Value: currency (three letters) and a value from 0 to 100000. */
const isValue = (value: unknown): value is { currency: string; value: number } =>
  isRecord(value) &&
  typeof value['currency'] === 'string' &&
  /^[A-Z]{3}$/.test(value['currency']) &&
  typeof value['value'] === 'number' &&
  value['value'] >= 0 &&
  value['value'] <= 100000;
/** [SHIP] Weight: uom g or kg, value from 0 to 31500. */
const isWeight = (weight: unknown) =>
  isRecord(weight) &&
  (weight['uom'] === 'g' || weight['uom'] === 'kg') &&
  typeof weight['value'] === 'number' &&
  weight['value'] >= 0 &&
  weight['value'] <= 31500;

/**
 * [SHIP] CustomsDetails for a consignee outside the EU: required there; exportType from its enum,
 * exportDescription when it is OTHER ("Mandatory if exporttype is 'OTHER'"), postalCharges a
 * Value whose currency every item shares ("Otherwise no shipping label will be created"), 1–99
 * Commodity items (itemDescription 1–256, integer packagedQuantity, itemValue, itemWeight; hsCode
 * 6–11 characters and an alpha-3 countryOfOrigin where given).
 */
function customsProblems(
  shipment: Record<string, unknown>,
  at: string,
  add: (property: string, message: string) => void,
): void {
  const consignee = shipment['consignee'];
  const country = isRecord(consignee) ? consignee['country'] : undefined;
  const customs = shipment['customs'];
  if (customs === undefined) {
    if (typeof country === 'string' && !EU_COUNTRIES.has(country))
      add(`${at}.customs`, 'is required for a consignee outside the European Customs Union');
    return;
  }
  if (!isRecord(customs)) return add(`${at}.customs`, 'must be an object');
  if (!EXPORT_TYPES.has(customs['exportType'] as string))
    add(`${at}.customs.exportType`, 'is not a known export type');
  if (customs['exportType'] === 'OTHER' && typeof customs['exportDescription'] !== 'string')
    add(`${at}.customs.exportDescription`, "is required when exportType is 'OTHER'");
  const charges = customs['postalCharges'];
  if (!isValue(charges)) add(`${at}.customs.postalCharges`, 'needs a currency and a value from 0 to 100000');
  const items = customs['items'];
  if (!Array.isArray(items) || items.length < 1 || items.length > 99)
    return add(`${at}.customs.items`, 'must be an array of 1 to 99 items');
  items.forEach((item: unknown, index) => {
    const path = `${at}.customs.items[${index}]`;
    if (!isRecord(item)) return add(path, 'must be an object');
    const description = item['itemDescription'];
    if (typeof description !== 'string' || description.length < 1 || description.length > 256)
      add(`${path}.itemDescription`, 'must have 1 to 256 characters');
    if (!Number.isInteger(item['packagedQuantity'])) add(`${path}.packagedQuantity`, 'must be an integer');
    const value = item['itemValue'];
    if (!isValue(value)) add(`${path}.itemValue`, 'needs a currency and a value from 0 to 100000');
    else if (isValue(charges) && value.currency !== charges.currency)
      add(`${path}.itemValue.currency`, 'must be the currency of the postal charges');
    if (!isWeight(item['itemWeight']))
      add(`${path}.itemWeight`, 'needs uom g or kg and a value from 0 to 31500');
    const hsCode = item['hsCode'];
    if (hsCode !== undefined && (typeof hsCode !== 'string' || hsCode.length < 6 || hsCode.length > 11))
      add(`${path}.hsCode`, 'must have 6 to 11 characters');
    const origin = item['countryOfOrigin'];
    if (origin !== undefined && (typeof origin !== 'string' || !/^[A-Z]{3}$/.test(origin)))
      add(`${path}.countryOfOrigin`, 'must be an ISO 3166-1 alpha-3 country code');
  });
}

/**
 * The request schema's hard requirements ([SHIP] ShipmentOrderRequest: profile ≤35 chars, 1–30
 * shipments; ShipmentDetails: weight; Weight: uom g|kg and value 0–31500), and, where present, the
 * product, the billing number ([SHIP] Shipment.billingNumber: `\w{10}\d{2}\w{2}`, digits 11–12 the
 * product's number) and the addresses. [SHIP] Shipment declares nothing `required`, so a shipment
 * without them passes here (the real backend's answer to that is UNVERIFIED).
 */
function orderProblems(body: unknown): ValidationMessage[] {
  const problems: ValidationMessage[] = [];
  const add = (property: string, validationMessage: string) =>
    problems.push({ property, validationMessage, validationState: 'Error' });
  if (!isRecord(body)) {
    add('body', 'must be a JSON object');
    return problems;
  }
  const { profile, shipments } = body;
  if (typeof profile !== 'string' || profile.length > 35)
    add('profile', 'must be a string of at most 35 characters');
  if (!Array.isArray(shipments) || shipments.length < 1 || shipments.length > 30) {
    add('shipments', 'must be an array of 1 to 30 shipments');
    return problems;
  }
  shipments.forEach((shipment: unknown, index) => {
    const at = `shipments[${index}]`;
    if (!isRecord(shipment)) {
      add(at, 'must be an object');
      return;
    }
    const { product, billingNumber, details } = shipment;
    if (product !== undefined && !PRODUCTS.has(product as string))
      add(`${at}.product`, 'is not a known product');
    if (billingNumber !== undefined) {
      const valid = typeof billingNumber === 'string' && /^\w{10}\d{2}\w{2}$/.test(billingNumber);
      if (!valid) add(`${at}.billingNumber`, 'must be 14 characters: EKP, procedure and participation');
      else if (typeof product === 'string' && billingNumber.slice(10, 12) !== product.slice(1, 3))
        add(`${at}.billingNumber`, `is not valid for product ${product}`);
    }
    addressProblems(shipment['shipper'], `${at}.shipper`, add);
    addressProblems(shipment['consignee'], `${at}.consignee`, add);
    customsProblems(shipment, at, add);
    if (details === undefined) return;
    const weight = (details as { weight?: { uom?: unknown; value?: unknown } } | null)?.weight;
    const valid =
      (weight?.uom === 'g' || weight?.uom === 'kg') &&
      typeof weight.value === 'number' &&
      weight.value >= 0 &&
      weight.value <= 31500;
    if (!valid) add(`${at}.details.weight`, 'needs uom g or kg and a value from 0 to 31500');
  });
  return problems;
}

const OK_STATUS = { title: 'OK', status: 200, statusCode: 200 };
const BAD_REQUEST = { title: 'Bad Request', status: 400, statusCode: 400 };

/** [SHIP] BadRequest: a LabelDataResponse as problem+json, one item carrying the validation messages. */
function badRequest(req: SimRequest, problems: ValidationMessage[]): SimResponse {
  return json(
    400,
    {
      status: { ...BAD_REQUEST, instance: req.path, detail: 'JSON Schema validation failed.' },
      items: [{ sstatus: BAD_REQUEST, validationMessages: problems }],
    },
    PROBLEM_JSON,
  );
}

/**
 * [SHIP] Document: "base64 encoded for PDF, text for ZPL" — `b64` with fileFormat PDF, or the ZPL
 * text in `zpl2` with fileFormat ZPL2. The print format is the one asked for where [SHIP]
 * Document's enum has it; otherwise A4 (the portal default is UNVERIFIED).
 */
function labelDocument(docFormat: string, printFormat: string | null, shipmentNo: string) {
  const documentFormats = ['A4', '910-300-700', '910-300-300', '910-300-300-oz', '910-300-710', '100x70mm'];
  const format = printFormat !== null && documentFormats.includes(printFormat) ? printFormat : 'A4';
  if (docFormat === 'ZPL2') {
    const zpl = `^XA^CI28^FO40,40^A0N,40,40^FDDHL Paket^FS^FO40,100^BCN,120,Y,N,N^FD${shipmentNo}^FS^XZ\n`;
    return { zpl2: zpl, fileFormat: 'ZPL2', printFormat: format };
  }
  return { b64: LABEL_PDF_BASE64, fileFormat: 'PDF', printFormat: format };
}

/**
 * [SHIP] POST /orders: one LabelDataResponse item per shipment, in request order; 200 for one
 * shipment, 207 (multistatus) for several; `validate=true` is a dry run with no numbers or labels.
 * Labels are always included (`includeDocs=URL` is not simulated) in the `docFormat` asked for;
 * every shipment created counts one label.
 */
function createOrders(req: SimRequest, ctx: SimContext): SimResponse {
  const body = jsonOf(req);
  const problems = orderProblems(body);
  const docFormat = req.query.get('docFormat') ?? 'PDF';
  if (!DOC_FORMATS.has(docFormat))
    problems.push({
      property: 'docFormat',
      validationMessage: 'must be PDF or ZPL2',
      validationState: 'Error',
    });
  if (problems.length > 0) return badRequest(req, problems);
  const shipments = (body as { shipments: { refNo?: unknown }[] }).shipments;
  const dryRun = req.query.get('validate') === 'true';
  const items = shipments.map((shipment) => {
    if (dryRun) return { sstatus: OK_STATUS, validationMessages: [] };
    const refNo = shipment.refNo;
    const shipmentNo = shipmentNumber();
    ctx.recordLabels();
    ctx.ledger.record({
      trackingNumbers: [shipmentNo],
      ...(typeof refNo === 'string' ? { reference: refNo } : {}),
      labels: [],
      createdAtMs: ctx.now(),
    });
    return {
      shipmentNo,
      sstatus: OK_STATUS,
      // [SHIP] ResponseItem.shipmentRefNo (6–50 characters) echoes the request's refNo.
      ...(typeof refNo === 'string' && refNo.length >= 6 && refNo.length <= 50
        ? { shipmentRefNo: refNo }
        : {}),
      label: labelDocument(docFormat, req.query.get('printFormat'), shipmentNo),
    };
  });
  const multi = shipments.length > 1;
  return json(multi ? 207 : 200, {
    status: {
      ...(multi ? { title: 'Multistatus', status: 207, statusCode: 207 } : OK_STATUS),
      instance: req.path,
      detail: 'The Webservice call ran successfully.', // [SHIP] RequestStatus.detail example
    },
    items,
  });
}

/**
 * The answers for `shipmentFault`, in [SHIP]'s shapes: a BadRequest LabelDataResponse about the
 * consignee's postal code, and RequestStatus problems for 403 and 500. [SHIP] declares no 403 for
 * POST /orders (the ROPC spec's 403 "authenticated but not authorised" has no body): UNVERIFIED.
 */
export const DHL_PARCEL_DE_SHIPPING: ShippingDefinition = {
  isShipmentRequest: (req) => req.method === 'POST' && req.path === DHL_PARCEL_DE_PATHS.orders,
  validationError: (req) =>
    badRequest(req, [
      {
        property: 'shipments[0].consignee.postalCode',
        validationMessage: 'The postal code of the consignee is invalid.',
        validationState: 'Error',
      },
    ]),
  forbidden: (req) =>
    problem(403, 'Forbidden', 'The user is not allowed to use this billing number.', req.path),
  serverError: (req) => problem(500, 'Internal Server Error', 'An unexpected error occurred.', req.path),
};

// --- Delete orders (issue 15) -----------------------------------------------------------------

/**
 * [SHIP] DELETE /orders?profile=…&shipment=… (ordersAccountDelete): one item per shipment number,
 * `sstatus` 200 when deleted, 400 "when shipment does not exist (or was already deleted)"; HTTP 200
 * for one shipment, 207 for several. A manifested shipment cannot be deleted; the spec gives that
 * case no wording, so the detail below is the simulator's own (docs/carriers/unverified.md).
 */
function deleteOrders(req: SimRequest, ctx: SimContext): SimResponse {
  const numbers = req.query.getAll('shipment');
  if (!req.query.get('profile') || numbers.length === 0 || numbers.length > 30) {
    return badRequest(req, [
      {
        property: 'shipment',
        validationMessage: 'profile and 1 to 30 shipment numbers are required',
        validationState: 'Error',
      },
    ]);
  }
  const items = numbers.map((shipmentNo) => {
    const result = ctx.ledger.void(shipmentNo);
    if (result === 'voided') return { shipmentNo, sstatus: OK_STATUS };
    const detail =
      result === 'too_late' ? 'Shipment already manifested; it cannot be deleted.' : 'Shipment not found.';
    return { shipmentNo, sstatus: { title: 'Bad Request', status: 400, statusCode: 400, detail } };
  });
  const multi = numbers.length > 1;
  const allOk = items.every((item) => item.sstatus.status === 200);
  return json(multi ? 207 : allOk ? 200 : 400, {
    status: multi
      ? { title: 'Multistatus', status: 207, statusCode: 207, instance: req.path }
      : { ...items[0]!.sstatus, instance: req.path },
    items,
  });
}
