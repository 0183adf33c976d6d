/**
 * @module carriers/fedex/simulator
 * Loopback simulator of the FedEx OAuth token endpoint and two protected FedEx APIs (Address
 * Validation, Track by tracking number), written from the FedEx OpenAPI JSON files in
 * `shared/carrier-specs/fedex/` and `carrier-auth-facts.md` §2. Quirks cite [FDX-AUTH], [FDX-AV],
 * [FDX-TRK], [FDX-RL] or another facts tag.
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
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
} from '../../src/sim/index.js';

export const FEDEX_PATHS = {
  token: '/oauth/token',
  addressResolve: '/address/v1/addresses/resolve',
  trackByNumber: '/track/v1/trackingnumbers',
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
    if (req.method === 'POST' && req.path === FEDEX_PATHS.trackByNumber) return trackByNumber(req);
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

/** [FDX-TRK] POST /track/v1/trackingnumbers → output.completeTrackResults per tracking number. */
function trackByNumber(req: SimRequest): SimResponse {
  const body = jsonOf(req) as
    { trackingInfo?: { trackingNumberInfo?: { trackingNumber?: unknown } }[] } | undefined;
  const numbers = (Array.isArray(body?.trackingInfo) ? body.trackingInfo : [])
    .map((info) => info?.trackingNumberInfo?.trackingNumber)
    .filter((n): n is string => typeof n === 'string' && n !== '');
  // Documented 400 example in [FDX-TRK].
  if (numbers.length === 0) {
    return fedexError(req, 400, 'TRACKING.TRACKINGNUMBER.EMPTY', 'Please provide tracking number.');
  }
  return json(200, {
    ...envelope(req),
    output: {
      completeTrackResults: numbers.map((trackingNumber) => ({
        trackingNumber,
        trackResults: [
          {
            trackingNumberInfo: { trackingNumber, carrierCode: 'FDXE' },
            latestStatusDetail: {
              code: 'PU',
              derivedCode: 'PU',
              statusByLocale: 'Picked up',
              description: 'Picked up',
            },
          },
        ],
      })),
    },
  });
}
