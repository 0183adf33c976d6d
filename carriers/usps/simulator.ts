/**
 * @module carriers/usps/simulator
 * Loopback simulator of the USPS APIs v3: the OAuth 2.0 token endpoint (client credentials,
 * refresh token with rotation, authorization code with an /authorize that consents at once),
 * RS256 JWT access tokens with the `public_key` in the token response, and three protected APIs:
 * Addresses city-state, Payments payment-authorization and Domestic Labels label (which also
 * needs the payment authorization token). Written from `../shared/carrier-auth-facts.md` §5 and the USPS OpenAPI files in
 * `../shared/carrier-specs/usps/` (addresses.yaml, payments.yaml, domestic-labels.yaml).
 *
 * The label endpoint draws its image in the requested imageType (PDF, or ZPL at 203 or 300 dpi),
 * counts every label it creates in the kit's `labelsCreated`, and answers the kit's shipment
 * faults in the spec's ErrorMessage shape.
 *
 * Source tags in comments: [USPS-OAUTH] the USPS OAuth 2.0 3.0 spec v3.1.4 (only an escaped copy
 * exists, summarised in the facts file), [USPS-I68], [USPS-I84], [USPS-I95] issues in
 * USPS/api-examples, [USPS-README], [USPS-ADDR] addresses.yaml, [USPS-PAY] payments.yaml,
 * [USPS-LABELS] domestic-labels.yaml. Anything no source states is marked UNVERIFIED.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';

import {
  calculateJwkThumbprint,
  decodeJwt,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  SignJWT,
  type CryptoKey,
} from 'jose';

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
  type TokenFamily,
} from '../../src/sim/index.js';
import { USPS_RATES_READ, USPS_TRACKING_READ, uspsRates, uspsTrack } from './reads-simulator.js';

export const USPS_PATHS = {
  /** [USPS-OAUTH] servers `https://apis.usps.com/oauth2/v3` + `/token`. */
  token: '/oauth2/v3/token',
  /**
   * [USPS-OAUTH] authorizationUrl `/oauth2/v3/authorize`. At USPS it leads to the Customer
   * Onboarding Platform sign-in and consent ([USPS-I29]); the simulator consents at once.
   */
  authorize: '/oauth2/v3/authorize',
  /** [USPS-ADDR] servers `.../addresses/v3` + `/city-state`; the facts' health probe (§5.6). */
  cityState: '/addresses/v3/city-state',
  /** [USPS-PAY] servers `.../payments/v3` + `/payment-authorization`. */
  paymentAuthorization: '/payments/v3/payment-authorization',
  /** [USPS-LABELS] servers `.../labels/v3` + `/label`. */
  label: '/labels/v3/label',
} as const;

/** "expires_in": 28799 in the spec example and a real 2025 response ([USPS-OAUTH], [USPS-I84]). */
export const USPS_ACCESS_TOKEN_LIFETIME_SECONDS = 28799;
/** "refresh_token_expires_in": 604799 ([USPS-OAUTH]); "refresh tokens are valid for seven days" ([USPS-OAUTH-GEN]). */
export const USPS_REFRESH_TOKEN_LIFETIME_SECONDS = 604799;
/** "Payment Authorization Tokens are valid for eight hours after issuance" ([USPS-PAY] description). */
export const USPS_PAYMENT_TOKEN_LIFETIME_SECONDS = 8 * 3600;
/** `issuer` of a real 2025 token response ([USPS-I84]); the spec example says https://api.usps.com/realms/USPS. */
export const USPS_ISSUER = 'https://keyc.usps.com/realms/USPS';
/** The scope list of the spec's clientCredentialsTokenResponse example ([USPS-OAUTH]). */
export const USPS_DEFAULT_SCOPE =
  'addresses international-prices subscriptions payments pickup tracking labels scan-forms companies ' +
  'service-delivery-standards locations international-labels prices';
/** `WWW-Authenticate: Bearer realm="https://api.usps.com"` on every v3 API 401 ([USPS-ADDR] components.headers). */
export const USPS_API_CHALLENGE = 'Bearer realm="https://api.usps.com"';
/** The token endpoint's own header example ([USPS-OAUTH] components.headers.WWWAuthenticate). */
const TOKEN_CHALLENGE = 'Bearer realm="https://api.usps.com/realms/USPS"';
/** Authorization-code lifetime: not documented anywhere; UNVERIFIED, 10 minutes (RFC 6749 §4.1.2 maximum). */
const AUTH_CODE_LIFETIME_MS = 10 * 60 * 1000;
/** Above this many remembered payment tokens, expired ones are dropped (long benchmarks stay bounded). */
const PAYMENT_PRUNE_THRESHOLD = 10_000;

export const USPS_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(
  defaultFaults(USPS_ACCESS_TOKEN_LIFETIME_SECONDS),
);

export interface UspsSimulatorOptions extends SimulatorOptions {
  /**
   * Send `issued_at`, `expires_in` and the other numeric token fields as strings, as the
   * USPS/api-examples README shows them (`"expires_in": "11111"`, [USPS-README]). The spec and a
   * real response use numbers ([USPS-OAUTH], [USPS-I84]), which is the default.
   */
  stringNumbers?: boolean;
  /** Scope registered for a client (space-separated); clients not listed get `defaultScope`. */
  clientScopes?: Record<string, string>;
  /** Default registered scope. Default {@link USPS_DEFAULT_SCOPE}. */
  defaultScope?: string;
  /** `issuer` in token responses and `iss` in the JWTs. Default {@link USPS_ISSUER}. */
  issuer?: string;
  /** `application_name` of the token response ([USPS-OAUTH] example "Silver Shipper Developer"). */
  applicationName?: string;
  /** `api_products` of the token response ([USPS-OAUTH] example "[Shipping-Silver]"). */
  apiProducts?: string;
  /**
   * `Retry-After` seconds on the 503 the `tokenServerErrors` fault produces ("503 also may carry
   * Retry-After", facts §5.5). Unset: no header. (The kit's faults only carry Retry-After for 429.)
   */
  serverErrorRetryAfterSeconds?: number;
  /**
   * Redirect URIs registered per client. A client listed here gets the documented 400 for any
   * other `redirect_uri` at /authorize; unlisted clients may use any absolute URL.
   */
  redirectUris?: Record<string, string[]>;
  /** `sub` of tokens obtained through /authorize: the consenting USPS customer. Default "usps-customer". */
  consentingCustomer?: string;
}

/** What a consent grants: the customer (`sub`), the scope, and a PKCE challenge when one was sent. */
export interface ConsentGrant {
  subject?: string;
  scope?: string;
  codeChallenge?: string;
  codeChallengeMethod?: 'S256' | 'plain';
}

export interface UspsSimulatorHandle extends SimulatorHandle {
  readonly issuer: string;
  /** SPKI PEM of the signing key: the value for the gateway's `token.publicKey`. */
  readonly publicKeyPem: string;
  /** What every token response carries as `public_key`: base64 of the PEM ([USPS-OAUTH]). */
  readonly publicKeyBase64: string;
  /**
   * Mint an authorization code as if a USPS customer had signed in and consented on the Customer
   * Onboarding Platform, which no API can do ([USPS-I29]). Single use.
   */
  issueAuthorizationCode(clientId: string, redirectUri: string, grant?: ConsentGrant): string;
  /** Labels created; an idempotent replay (same X-Idempotency-Key and payload) creates none. */
  labelsCreated(): number;
  /** Payment authorization tokens issued (POST /payment-authorization answered 200). */
  paymentAuthorizationsIssued(): number;
}

// ---------------------------------------------------------------------------------------------
// Token endpoint errors: RFC 6749 bodies {error, error_description, error_uri} ([USPS-OAUTH] 5.5)
// ---------------------------------------------------------------------------------------------

/** RFC 6749 §5.1: token responses are not cached. USPS's own headers are UNVERIFIED. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
const URI_CLIENT = 'https://datatracker.ietf.org/doc/html/rfc6749#page-45';
const URI_REFRESH = 'https://datatracker.ietf.org/doc/html/rfc7009#section-2.2.1';

function oauthError(
  status: number,
  body: Record<string, string>,
  headers: Record<string, string> = {},
): SimResponse {
  return json(status, body, { ...NO_STORE, ...headers });
}

/** [USPS-OAUTH] invalidClientIdentifierResponse: a missing or unknown client id. 401 carries WWW-Authenticate. */
const unknownClient = (status = 401) =>
  oauthError(
    status,
    {
      error: 'invalid_client',
      error_description:
        'InvalidApiKey: The client application credentials provided in the request are missing, invalid, inactive or not approved for access.',
      error_uri: URI_CLIENT,
    },
    status === 401 ? { 'WWW-Authenticate': TOKEN_CHALLENGE } : {},
  );

/** [USPS-OAUTH] invalidClientCredentialsResponse: a known client id with the wrong secret. */
const badSecret = () =>
  oauthError(
    401,
    { error: 'invalid_client', error_description: 'Client authentication failed.', error_uri: URI_CLIENT },
    { 'WWW-Authenticate': TOKEN_CHALLENGE },
  );

/**
 * [USPS-OAUTH] invalidRefreshTokenResponse: HTTP 400, `invalid_request` (not RFC 6749's
 * invalid_grant), the presented refresh token echoed back, and `refresh_token_status`
 * ("Not Found" in the example, also for a token that "may have been previously used").
 */
function invalidRefreshToken(presented: string | null, status: string): SimResponse {
  return oauthError(400, {
    error: 'invalid_request',
    error_description:
      'Invalid Refresh Token: Check the value of the refresh token. It may be missing, have expired or have been revoked.',
    error_uri: URI_REFRESH,
    ...(presented ? { refresh_token: presented } : {}),
    refresh_token_status: status,
  });
}

/** [USPS-OAUTH] invalidRefreshTokenExpiredResponse. */
const expiredRefreshToken = (presented: string) =>
  oauthError(400, {
    error: 'invalid_request',
    error_description:
      'refresh_token_expired: Check the value of the refresh token. It may be missing, have expired or have been revoked.',
    error_uri: URI_REFRESH,
    refresh_token: presented,
    refresh_token_status: 'expired',
  });

/** [USPS-OAUTH] invalidAuthorizationCodeResponse, typo ("Authorizaton") included. */
const invalidAuthorizationCode = () =>
  oauthError(400, {
    error: 'invalid_request',
    error_description:
      'Authorizaton Code Error: either the authorization code has expired, is invalid, or the redirect_uri is not registered.',
    error_uri: URI_REFRESH,
  });

/** [USPS-OAUTH] invalidRedirectUriResponse. */
const invalidRedirectUri = () =>
  oauthError(400, {
    error: 'invalid_request',
    error_description: 'The redirect_uri is invalid.',
    error_uri: 'https://datatracker.ietf.org/doc/html/rfc6749#section-4.1.2.1',
  });

/** `unsupported_grant_type` is in the spec's StandardErrorResponse enum; the wording is UNVERIFIED. */
const unsupportedGrant = () =>
  oauthError(400, {
    error: 'unsupported_grant_type',
    error_description: 'The grant type is not supported.',
    error_uri: 'https://datatracker.ietf.org/doc/html/rfc6749#section-5.2',
  });

/** A malformed token request (no grant_type, unsupported body type). Wording UNVERIFIED. */
const malformedTokenRequest = (description: string) =>
  oauthError(400, {
    error: 'invalid_request',
    error_description: description,
    error_uri: 'https://datatracker.ietf.org/doc/html/rfc6749#section-5.2',
  });

// ---------------------------------------------------------------------------------------------
// API errors: {apiVersion, error: {code, message, errors: [...]}} ([USPS-ADDR] ErrorMessage)
// ---------------------------------------------------------------------------------------------

interface ApiErrorItem {
  status?: string;
  code?: string;
  title: string;
  detail: string;
  /** An object per the spec's ErrorMessage; the observed 401 has the string "Access Token" ([USPS-I68]). */
  source?: string | { parameter: string; example?: string };
}

function apiError(
  status: number,
  apiVersion: string,
  message: string,
  items: ApiErrorItem[],
  headers?: Record<string, string>,
): SimResponse {
  return json(status, { apiVersion, error: { code: String(status), message, errors: items } }, headers);
}

/** Observed body for a missing or non-JWT token, verbatim ([USPS-I68]). */
const missingToken = (apiVersion: string) =>
  apiError(
    401,
    apiVersion,
    'Missing or malformed access token.',
    [
      {
        title: 'invalid_token',
        detail: 'The access token presented with the request is missing or malformed (not a JWT).',
        source: 'Access Token',
      },
    ],
    { 'WWW-Authenticate': USPS_API_CHALLENGE },
  );

/** A well-formed JWT the API does not accept (expired, unknown). The wording is UNVERIFIED (facts §7). */
const rejectedToken = (apiVersion: string, detail: string) =>
  apiError(
    401,
    apiVersion,
    'Invalid or expired access token.',
    [{ title: 'invalid_token', detail, source: 'Access Token' }],
    { 'WWW-Authenticate': USPS_API_CHALLENGE },
  );

/** 403 "Access is denied." is every v3 spec's 403 description; the errors[] wording is UNVERIFIED. */
const insufficientScope = (apiVersion: string, scope: string) =>
  apiError(403, apiVersion, 'Access is denied.', [
    {
      status: '403',
      code: 'insufficient_scope',
      title: 'Insufficient scope',
      detail: `The access token does not grant the "${scope}" scope this resource requires.`,
    },
  ]);

/** Request validation failures; the spec declares 400 with ErrorMessage, the wording is UNVERIFIED. */
const badRequest = (apiVersion: string, detail: string, parameter?: string, example?: string) =>
  apiError(400, apiVersion, 'Bad Request.', [
    {
      status: '400',
      code: 'invalid_request',
      title: 'Invalid request',
      detail,
      ...(parameter ? { source: { parameter, ...(example ? { example } : {}) } } : {}),
    },
  ]);

const notFound = (apiVersion: string, detail: string) =>
  apiError(404, apiVersion, 'Not Found.', [{ status: '404', code: 'not_found', title: 'Not Found', detail }]);

// ---------------------------------------------------------------------------------------------
// Request helpers
// ---------------------------------------------------------------------------------------------

type Params = (name: string) => string | null;

/**
 * Token request parameters: JSON or form body, both declared by the spec ([USPS-OAUTH] post-token
 * requestBody; facts §5.3). Anything else is `null`.
 */
function tokenParams(req: SimRequest): Params | null {
  if (isFormContentType(req)) {
    const form = formOf(req);
    return (name) => form.get(name);
  }
  if ((header(req, 'content-type') ?? '').toLowerCase().startsWith('application/json')) {
    const body = jsonOf(req);
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return null;
    const fields = body as Record<string, unknown>;
    return (name) => {
      const value = fields[name];
      return typeof value === 'string' || typeof value === 'number' ? String(value) : null;
    };
  }
  return null;
}

/** RFC 7636 4.6: S256 compares BASE64URL(SHA256(verifier)), plain the verifier itself. */
function pkceMatches(grant: ConsentGrant, verifier: string | null): boolean {
  if (verifier === null || !/^[A-Za-z0-9\-._~]{43,128}$/.test(verifier)) return false;
  const expected =
    grant.codeChallengeMethod === 'S256'
      ? createHash('sha256').update(verifier).digest('base64url')
      : verifier;
  return expected === grant.codeChallenge;
}

const scopeList = (scope: string | undefined | null) => (scope ?? '').split(/\s+/).filter(Boolean);

const JWT_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Minimal one-page PDF: a stand-in for the label image part (content synthetic). */
const LABEL_PDF_BASE64 = Buffer.from(
  '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n' +
    '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n',
).toString('base64');

/** [USPS-PAY] Role.roleName enum. */
const ROLE_NAMES = new Set([
  'PAYER',
  'RATE_HOLDER',
  'LABEL_OWNER',
  'SHIPPER',
  'MAIL_OWNER',
  'PLATFORM',
  'RETURN_LABEL_PAYER',
  'RETURN_LABEL_RATE_HOLDER',
  'RETURN_LABEL_OWNER',
  'LABEL_PROVIDER',
]);
/** [USPS-PAY] MID and ManifestMID pattern. */
const MID_PATTERN = /^(\d{6}|\d{9})$/;
/** [USPS-LABELS] X-Idempotency-Key `format: uuid`. */
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * City and state per ZIP Code for the simulated lookup. 10001 is the facts' probe; 50314 is the
 * spec's CityAndState example ([USPS-ADDR]); the others are the label examples' ZIP Codes
 * ([USPS-LABELS] GroundAdvantageRequest). Upper case, as USPS standardises addresses (casing UNVERIFIED).
 */
const CITY_STATE: Record<string, { city: string; state: string }> = {
  '10001': { city: 'NEW YORK', state: 'NY' },
  '50314': { city: 'DES MOINES', state: 'IA' },
  '63104': { city: 'SAINT LOUIS', state: 'MO' },
  '20024': { city: 'WASHINGTON', state: 'DC' },
  '90210': { city: 'BEVERLY HILLS', state: 'CA' },
};

interface PaymentGrant {
  clientId: string;
  /** CRID of the LABEL_OWNER role: labels and idempotency keys belong to it ([USPS-LABELS]). */
  labelOwnerCrid: string;
  expiresAtMs: number;
}

interface AuthCode extends ConsentGrant {
  clientId: string;
  redirectUri: string;
  expiresAtMs: number;
}

interface StoredLabel {
  payload: string;
  response: SimResponse;
}

type Caller = { clientId: string; scope: string };

/** API products by path prefix: the `apiVersion` their errors carry ([USPS-I68]) and the scope they need. */
const PRODUCTS = [
  { prefix: '/addresses/v3/', apiVersion: '/addresses/v3/', scope: 'addresses' },
  { prefix: '/payments/v3/', apiVersion: '/payments/v3/', scope: 'payments' },
  { prefix: '/labels/v3/', apiVersion: '/labels/v3/', scope: 'labels' },
  { prefix: '/prices/v3/', apiVersion: '/prices/v3/', scope: 'prices' },
  { prefix: '/tracking/v3/', apiVersion: '/tracking/v3/', scope: 'tracking' },
] as const;

function isApiPath(path: string): boolean {
  return PRODUCTS.some((product) => path.startsWith(product.prefix));
}

/**
 * Start a USPS simulator on loopback.
 * @example
 * const usps = await startUspsSimulator({ clients: [{ clientId: 'id', clientSecret: 'secret' }] });
 * // POST `${usps.url}/oauth2/v3/token` form or JSON {grant_type, client_id, client_secret}
 */
export async function startUspsSimulator(options: UspsSimulatorOptions = {}): Promise<UspsSimulatorHandle> {
  const clock = options.clock ?? Date.now;
  const issuer = options.issuer ?? USPS_ISSUER;
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicKeyPem = await exportSPKI(publicKey);
  const publicKeyBase64 = Buffer.from(publicKeyPem).toString('base64');
  // The spec example's header is {"kid":"101010","typ":"JWT","alg":"RS256"}; a thumbprint stands in for the kid.
  const kid = await calculateJwkThumbprint(await exportJWK(publicKey));
  const authCodes = new Map<string, AuthCode>();
  const paymentTokens = new Map<string, PaymentGrant>();
  const labels = new Map<string, StoredLabel>();
  let labelsCreated = 0;
  let paymentAuthorizationsIssued = 0;
  /** The engine's context, kept from the first token issued so the handle can judge tokens as the APIs do. */
  let issuingContext: SimContext | undefined;
  const num = (value: number): number | string => (options.stringNumbers ? String(value) : value);
  const registeredScope = (clientId: string) =>
    options.clientScopes?.[clientId] ?? options.defaultScope ?? USPS_DEFAULT_SCOPE;

  /**
   * The scope granted: the registered one when none is requested; otherwise the requested scopes
   * the client is registered for. Unregistered scopes are dropped silently, not refused: asking
   * for "payment" returned only the defaults ([USPS-I95]); an empty result is UNVERIFIED.
   */
  function grantScope(requested: string | null, allowed: string): string {
    if (!requested || requested.trim() === '') return scopeList(allowed).join(' ');
    const permitted = new Set(scopeList(allowed));
    return scopeList(requested)
      .filter((scope) => permitted.has(scope))
      .join(' ');
  }

  async function sign(claims: Record<string, unknown>, lifetimeSeconds: number, ctx: SimContext) {
    const iat = Math.floor(ctx.carrierNow() / 1000);
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid })
      .setIssuer(issuer)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + lifetimeSeconds)
      .setJti(randomUUID())
      .sign(privateKey as CryptoKey);
  }

  /** A token success body in the field order of the spec examples ([USPS-OAUTH] *TokenResponse). */
  async function issue(
    ctx: SimContext,
    clientId: string,
    scope: string,
    family?: TokenFamily,
  ): Promise<SimResponse> {
    issuingContext = ctx;
    const lifetime = ctx.faults.tokenLifetimeSeconds;
    const subject = family?.subject ?? clientId;
    // Claims: the spec example's token carries the scope list in `aud` and the client in `azp`;
    // `scope` and `nbf` are added (a scope claim is what RFC 9068 and the gateway's scope check
    // read; whether real USPS tokens carry it is UNVERIFIED), `sub` names the client or customer.
    const accessToken = await sign(
      {
        sub: subject,
        ...(scope ? { aud: scope } : {}),
        azp: clientId,
        scope,
        client_id: clientId,
      },
      lifetime,
      ctx,
    );
    const now = ctx.now();
    ctx.recordAccess(accessToken, {
      clientId,
      issuedAtMs: now,
      expiresAtMs: now + lifetime * 1000,
      subject,
      scope,
      ...(family ? { familyId: family.id } : {}),
    });
    const issuedAt = ctx.carrierNow();
    const body: Record<string, unknown> = {
      access_token: accessToken,
      token_type: 'Bearer',
      issued_at: num(issuedAt),
      expires_in: num(lifetime),
      status: 'approved',
      scope,
      issuer,
    };
    if (family) {
      // [USPS-OAUTH] refreshTokenResponse: a new refresh token on every refresh (facts §5.4).
      Object.assign(body, {
        refresh_token: ctx.mintRefresh(family),
        refresh_token_issued_at: num(issuedAt),
        refresh_token_status: 'approved',
        refresh_token_expires_in: num(USPS_REFRESH_TOKEN_LIFETIME_SECONDS),
        refresh_count: num(family.refreshCount),
      });
    }
    Object.assign(body, {
      client_id: clientId,
      application_name: options.applicationName ?? 'Carrier Gateway Simulator',
      api_products: options.apiProducts ?? '[Shipping-Silver]',
      public_key: publicKeyBase64,
    });
    return json(200, body, NO_STORE);
  }

  async function token(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    // Only POST is declared ([USPS-OAUTH] /token); the answer to other methods is UNVERIFIED.
    if (req.method !== 'POST') return { ...malformedTokenRequest('Use POST.'), status: 405 };
    const params = tokenParams(req);
    if (!params) {
      return malformedTokenRequest(
        'The request body must be application/json or application/x-www-form-urlencoded.',
      );
    }
    // Every grant's schema includes ClientCredentials (client_id + client_secret in the body, [USPS-OAUTH]).
    const clientId = params('client_id');
    const secret = params('client_secret');
    if (!clientId || !ctx.hasClient(clientId)) return unknownClient();
    if (secret === null || ctx.checkClient(clientId, secret) !== 'ok') return badSecret();

    switch (params('grant_type')) {
      case null:
      case '':
        return malformedTokenRequest('grant_type is required.');
      case 'client_credentials':
        // No refresh token for client credentials ([USPS-I40]).
        return issue(ctx, clientId, grantScope(params('scope'), registeredScope(clientId)));
      case 'refresh_token':
        return refresh(params, clientId, ctx);
      case 'authorization_code':
        return exchangeCode(params, clientId, ctx);
      default:
        // The password grant is "omitted" ([USPS-OAUTH]); anything else is not a USPS grant.
        return unsupportedGrant();
    }
  }

  async function refresh(params: Params, clientId: string, ctx: SimContext): Promise<SimResponse> {
    const presented = params('refresh_token');
    if (!presented) return invalidRefreshToken(null, 'Not Found');
    // Single use and rotating; a reused token revokes its family (the kit), facts §5.4.
    const redeemed = ctx.redeemRefresh(presented, clientId);
    if (!redeemed.ok) {
      if (redeemed.reason === 'expired') return expiredRefreshToken(presented);
      // "revoked" is in the spec's refresh_token_status enum; used and unknown tokens say "Not Found".
      return invalidRefreshToken(presented, redeemed.reason === 'revoked' ? 'revoked' : 'Not Found');
    }
    const { family } = redeemed;
    const scope = grantScope(params('scope'), family.scope ?? registeredScope(clientId));
    return issue(ctx, clientId, scope, family);
  }

  async function exchangeCode(params: Params, clientId: string, ctx: SimContext): Promise<SimResponse> {
    const code = params('code');
    const redirectUri = params('redirect_uri');
    const grant = code ? authCodes.get(code) : undefined;
    if (
      !code ||
      !grant ||
      grant.clientId !== clientId ||
      grant.redirectUri !== redirectUri ||
      ctx.now() >= grant.expiresAtMs
    ) {
      return invalidAuthorizationCode();
    }
    // Codes are single use, also when the exchange then fails (RFC 6749 4.1.2).
    authCodes.delete(code);
    if (grant.codeChallenge !== undefined && !pkceMatches(grant, params('code_verifier'))) {
      // RFC 7636 4.6 says invalid_grant; USPS answers every bad code with this invalid_request
      // body, and whether it supports PKCE at all is UNVERIFIED (facts 5.2).
      return invalidAuthorizationCode();
    }
    const scope = grantScope(params('scope'), grant.scope ?? registeredScope(clientId));
    const family = ctx.newFamily(clientId, {
      ...(grant.subject !== undefined ? { subject: grant.subject } : {}),
      scope,
    });
    return issue(ctx, clientId, scope, family);
  }

  /**
   * Bearer check of every v3 API: JWT shape, then the token store (expiry, premature-expiry
   * fault), then the scope ([USPS-OAUTH] "Each API will validate the access token, its expiration
   * in addition to its OAuth scope"). Access tokens are self-contained JWTs and "only refresh
   * tokens may be revoked" ([USPS-OAUTH] /revoke), so one from a revoked refresh-token family
   * stays valid until it expires.
   */
  function checkBearer(
    req: SimRequest,
    ctx: SimContext,
    apiVersion: string,
    scope: string,
  ): Caller | SimResponse {
    const bearer = bearerToken(req);
    if (!bearer || !JWT_SHAPE.test(bearer)) return missingToken(apiVersion);
    const caller = acceptedCaller(bearer, ctx);
    if (!caller) {
      const check = ctx.checkAccess(bearer);
      const reason = check.ok ? 'unknown' : check.reason;
      return rejectedToken(
        apiVersion,
        reason === 'expired' || reason === 'premature' || reason === 'revoked'
          ? 'The access token presented with the request has expired.'
          : 'The access token presented with the request is invalid.',
      );
    }
    if (!scopeList(caller.scope).includes(scope)) return insufficientScope(apiVersion, scope);
    return caller;
  }

  function acceptedCaller(bearer: string, ctx: SimContext): Caller | undefined {
    const check = ctx.checkAccess(bearer);
    if (check.ok) return { clientId: check.record.clientId, scope: check.record.scope ?? '' };
    if (check.reason !== 'revoked') return undefined;
    // Known to the store (only then "revoked"), so ours: its own exp decides, on the carrier's clock.
    const claims = decodeJwt(bearer);
    if (typeof claims.exp !== 'number' || claims.exp * 1000 <= ctx.carrierNow()) return undefined;
    return {
      clientId: typeof claims.azp === 'string' ? claims.azp : '',
      scope: typeof claims.scope === 'string' ? claims.scope : '',
    };
  }

  async function api(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    const product = PRODUCTS.find((candidate) => req.path.startsWith(candidate.prefix));
    if (!product) return notFound('/', `No resource at ${req.path}.`);
    const caller = checkBearer(req, ctx, product.apiVersion, product.scope);
    if (!('clientId' in caller)) return caller;
    if (req.path === USPS_PATHS.cityState && req.method === 'GET') return cityState(req);
    if (req.path === USPS_PATHS.paymentAuthorization && req.method === 'POST')
      return paymentAuthorization(req, caller, ctx);
    if (req.path === USPS_PATHS.label && req.method === 'POST') return label(req, caller, ctx);
    const cancel = /^\/labels\/v3\/label\/([^/]+)$/.exec(req.path);
    if (cancel && req.method === 'DELETE') return cancelLabel(req, decodeURIComponent(cancel[1] ?? ''), ctx);
    if (USPS_RATES_READ.matches(req)) return uspsRates(req);
    if (USPS_TRACKING_READ.matches(req)) return uspsTrack(req, ctx.carrierNow(), ctx.faults.trackingStage);
    // Unknown resources: neither code nor message is documented (UNVERIFIED).
    return notFound(product.apiVersion, `No resource at ${req.method} ${req.path}.`);
  }

  /** [USPS-ADDR] GET /city-state?ZIPCode=NNNNN → CityStateResponse {city, state, ZIPCode}. */
  function cityState(req: SimRequest): SimResponse {
    const apiVersion = '/addresses/v3/';
    const zip = req.query.get('ZIPCode');
    // ZIPCode: required, pattern ^\d{5}$ ([USPS-ADDR] get-city-state parameters).
    if (zip === null || !/^\d{5}$/.test(zip)) {
      return badRequest(apiVersion, 'ZIPCode is required and must be 5 digits.', 'ZIPCode', '10001');
    }
    const entry = CITY_STATE[zip];
    // An unknown ZIP Code's answer is not declared for /city-state; 404 as /address uses (UNVERIFIED).
    if (!entry) return notFound(apiVersion, `ZIP Code ${zip} was not found.`);
    return json(200, { city: entry.city, state: entry.state, ZIPCode: zip });
  }

  /**
   * [USPS-PAY] POST /payment-authorization: Parties {roles[]} → the same roles plus a
   * paymentAuthorizationToken valid eight hours. LABEL_OWNER (CRID, MID, manifestMID) is
   * required; PAYER (accountType, CRID; accountNumber for EPS/METER, permitNumber + permitZIP for
   * PERMIT/OMAS) unless following the PC Postage flow, so it is optional here.
   */
  async function paymentAuthorization(
    req: SimRequest,
    caller: Caller,
    ctx: SimContext,
  ): Promise<SimResponse> {
    const apiVersion = '/payments/v3/';
    const body = jsonOf(req) as { roles?: unknown } | undefined;
    if (!body || typeof body !== 'object' || !Array.isArray(body.roles) || body.roles.length === 0) {
      return badRequest(apiVersion, 'roles is required and must list at least one role.', 'roles');
    }
    const roles = body.roles as Record<string, unknown>[];
    const seen = new Set<string>();
    for (const role of roles) {
      const name = typeof role?.['roleName'] === 'string' ? role['roleName'] : '';
      if (!ROLE_NAMES.has(name)) return badRequest(apiVersion, `Unknown roleName "${name}".`, 'roleName');
      // "Each Role represents a participant in the transaction and must only be used once."
      if (seen.has(name)) return badRequest(apiVersion, `Role ${name} is used more than once.`, 'roleName');
      seen.add(name);
    }
    const owner = roles.find((role) => role['roleName'] === 'LABEL_OWNER');
    const ownerCrid = owner?.['CRID'];
    if (
      !owner ||
      typeof ownerCrid !== 'string' ||
      ownerCrid.length < 2 ||
      ownerCrid.length > 18 ||
      !MID_PATTERN.test(String(owner['MID'] ?? '')) ||
      !MID_PATTERN.test(String(owner['manifestMID'] ?? ''))
    ) {
      return badRequest(
        apiVersion,
        'The LABEL_OWNER role with CRID, MID and manifestMID is required.',
        'roles',
      );
    }
    const payer = roles.find((role) => role['roleName'] === 'PAYER');
    if (payer) {
      const type = payer['accountType'];
      const needs =
        type === 'EPS' || type === 'METER'
          ? ['CRID', 'accountNumber']
          : type === 'PERMIT' || type === 'OMAS'
            ? ['CRID', 'permitNumber', 'permitZIP']
            : null;
      if (!needs || needs.some((field) => typeof payer[field] !== 'string' || payer[field] === '')) {
        return badRequest(
          apiVersion,
          'The PAYER role needs accountType, CRID and its account fields.',
          'roles',
        );
      }
    }
    // The spec's example token is a JWT ("eyJhbGciOiJSUzI1NiIs..."); its claims are UNVERIFIED.
    const paymentToken = await sign(
      { sub: caller.clientId, azp: caller.clientId, crid: ownerCrid, roles: [...seen] },
      USPS_PAYMENT_TOKEN_LIFETIME_SECONDS,
      ctx,
    );
    const now = ctx.now();
    if (paymentTokens.size >= PAYMENT_PRUNE_THRESHOLD) {
      for (const [value, grant] of paymentTokens) if (grant.expiresAtMs <= now) paymentTokens.delete(value);
    }
    paymentTokens.set(paymentToken, {
      clientId: caller.clientId,
      labelOwnerCrid: ownerCrid,
      expiresAtMs: now + USPS_PAYMENT_TOKEN_LIFETIME_SECONDS * 1000,
    });
    paymentAuthorizationsIssued += 1;
    return json(200, { paymentAuthorizationToken: paymentToken, roles });
  }

  /**
   * [USPS-LABELS] POST /label: Bearer (scope labels) AND `X-Payment-Authorization-Token`
   * (required header); optional `X-Idempotency-Key` (uuid): "When the same idempotency key is
   * resubmitted with an identical request payload, the API will return the existing label
   * without creating a duplicate or charging additional postage." Keys are "unique per customer
   * (CRID)", so they are kept per LABEL_OWNER CRID.
   */
  function label(req: SimRequest, caller: Caller, ctx: SimContext): SimResponse {
    const apiVersion = '/labels/v3/';
    const presented = header(req, 'x-payment-authorization-token');
    if (!presented) {
      return badRequest(
        apiVersion,
        'X-Payment-Authorization-Token is required.',
        'X-Payment-Authorization-Token',
      );
    }
    const payment = paymentTokens.get(presented);
    if (!payment || payment.clientId !== caller.clientId || ctx.now() >= payment.expiresAtMs) {
      // Status and wording for a bad payment token are UNVERIFIED. 401 (the spec's "Unauthorized
      // request") but WITHOUT the Bearer challenge: the access token itself was fine.
      return apiError(401, apiVersion, 'Invalid payment authorization token.', [
        {
          status: '401',
          code: 'invalid_payment_authorization_token',
          title: 'Invalid payment authorization token',
          detail: 'The payment authorization token is missing, invalid or has expired.',
          source: { parameter: 'X-Payment-Authorization-Token' },
        },
      ]);
    }
    const idempotencyKey = header(req, 'x-idempotency-key');
    if (idempotencyKey !== undefined && !UUID_PATTERN.test(idempotencyKey)) {
      return badRequest(apiVersion, 'X-Idempotency-Key must be a UUID.', 'X-Idempotency-Key', randomUUID());
    }
    const body = jsonOf(req) as Record<string, unknown> | undefined;
    const invalid = labelRequestProblem(body);
    if (invalid) return badRequest(apiVersion, invalid.detail, invalid.parameter);
    if (!body) return badRequest(apiVersion, 'Missing required fields: body.');
    const payload = JSON.stringify(body);
    const key = idempotencyKey ? `${payment.labelOwnerCrid}:${idempotencyKey.toLowerCase()}` : undefined;
    const earlier = key ? labels.get(key) : undefined;
    if (earlier) {
      if (earlier.payload === payload) return earlier.response;
      // A reused key with another payload: the spec describes only the identical case (UNVERIFIED).
      return badRequest(
        apiVersion,
        'X-Idempotency-Key was already used with a different request payload.',
        'X-Idempotency-Key',
      );
    }
    const response = labelResponse(req, body);
    labelsCreated += 1;
    ctx.recordLabels();
    recordInLedger(ctx, response, idempotencyKey);
    if (key) labels.set(key, { payload, response });
    return response;
  }

  function newAuthCode(clientId: string, redirectUri: string, grant: ConsentGrant): string {
    const code = randomBytes(24).toString('base64url');
    authCodes.set(code, { ...grant, clientId, redirectUri, expiresAtMs: clock() + AUTH_CODE_LIFETIME_MS });
    return code;
  }

  /**
   * GET /oauth2/v3/authorize (RFC 6749 4.1.1 parameters; USPS documents the path, not its
   * parameters). The sign-in and consent screens are skipped: a valid request is answered with
   * the redirect a consenting customer would cause. Unknown client: the token endpoint's
   * InvalidApiKey body; bad redirect_uri: the spec's invalidRedirectUriResponse, never a redirect
   * (RFC 6749 4.1.2.1). Other errors go back to the client on the redirect (RFC 6749 4.1.2.1).
   */
  function authorizeEndpoint(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.method !== 'GET') return { ...malformedTokenRequest('Use GET.'), status: 405 };
    const q = (name: string) => req.query.get(name);
    const clientId = q('client_id');
    if (!clientId || !ctx.hasClient(clientId)) return unknownClient();
    const redirectUri = q('redirect_uri');
    const registered = options.redirectUris?.[clientId];
    if (
      !redirectUri ||
      !/^https?:\/\//i.test(redirectUri) ||
      !URL.canParse(redirectUri) ||
      (registered !== undefined && !registered.includes(redirectUri))
    ) {
      return invalidRedirectUri();
    }
    const target = new URL(redirectUri);
    const state = q('state');
    if (state !== null) target.searchParams.set('state', state);
    const challenge = q('code_challenge');
    const method = q('code_challenge_method') ?? 'plain';
    const error =
      q('response_type') !== 'code'
        ? 'unsupported_response_type'
        : challenge !== null && method !== 'S256' && method !== 'plain'
          ? 'invalid_request'
          : null;
    if (error !== null) {
      target.searchParams.set('error', error);
      return { status: 302, headers: { Location: target.toString() } };
    }
    const code = newAuthCode(clientId, redirectUri, {
      subject: options.consentingCustomer ?? 'usps-customer',
      scope: grantScope(q('scope'), registeredScope(clientId)),
      ...(challenge !== null
        ? { codeChallenge: challenge, codeChallengeMethod: method as 'S256' | 'plain' }
        : {}),
    });
    target.searchParams.set('code', code);
    return { status: 302, headers: { Location: target.toString() } };
  }

  function route(req: SimRequest, ctx: SimContext): SimResponse | Promise<SimResponse> {
    if (req.path === USPS_PATHS.token) return token(req, ctx);
    if (req.path === USPS_PATHS.authorize) return authorizeEndpoint(req, ctx);
    if (isApiPath(req.path)) return api(req, ctx);
    return notFound('/', `No resource at ${req.path}.`);
  }

  const definition: CarrierDefinition = {
    defaults: USPS_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: USPS_REFRESH_TOKEN_LIFETIME_SECONDS,
    isTokenPath: (path) => path === USPS_PATHS.token,
    isApiPath,
    clientIdOf: (req) => tokenParams(req)?.('client_id') ?? undefined,
    // [USPS-OAUTH] spikeArrestViolationResponse; Retry-After (example 30) when the fault sets it.
    throttled: (_req, retryAfter) =>
      oauthError(
        429,
        {
          error: 'invalid_request',
          error_description: 'SpikeArrestViolation: Too many requests received from client in a short time.',
          error_uri: 'https://datatracker.ietf.org/doc/html/rfc6585#section-4',
        },
        retryAfter === undefined ? {} : { 'Retry-After': String(retryAfter) },
      ),
    // [USPS-OAUTH] declares 503 with StandardErrorResponse and Retry-After but gives no example
    // body (and no 500): RFC 6749's temporarily_unavailable / server_error stand in (UNVERIFIED).
    serverError: (_req, status) =>
      status === 503
        ? oauthError(
            503,
            {
              error: 'temporarily_unavailable',
              error_description: 'The service is temporarily unavailable.',
            },
            options.serverErrorRetryAfterSeconds === undefined
              ? {}
              : { 'Retry-After': String(options.serverErrorRetryAfterSeconds) },
          )
        : oauthError(500, { error: 'server_error', error_description: 'Internal server error.' }),
    errorInSuccessBody: () => unknownClient(200),
    handle: route,
    // Shipment faults on POST /labels/v3/label, in the ErrorMessage shape the spec declares for its
    // 400, 403 and 503 ([USPS-LABELS] post-label responses); codes and wording are UNVERIFIED.
    shipping: {
      isShipmentRequest: (req) => req.method === 'POST' && req.path === USPS_PATHS.label,
      validationError: () =>
        badRequest('/labels/v3/', 'The address could not be matched to a deliverable address.', 'toAddress'),
      forbidden: () => insufficientScope('/labels/v3/', 'labels'),
      serverError: () =>
        apiError(503, '/labels/v3/', 'Service is unavailable.', [
          {
            status: '503',
            code: 'service_unavailable',
            title: 'Service Unavailable',
            detail: 'The service is temporarily unavailable. Try again later.',
          },
        ]),
    },
    reads: { rates: USPS_RATES_READ, tracking: USPS_TRACKING_READ },
  };

  const sim = await startSimulator(definition, options);
  const kitIssuedTokens = sim.issuedTokens.bind(sim);
  const handle: UspsSimulatorHandle = Object.assign(sim, {
    issuer,
    publicKeyPem,
    publicKeyBase64,
    issueAuthorizationCode: (clientId: string, redirectUri: string, grant: ConsentGrant = {}) =>
      newAuthCode(clientId, redirectUri, grant),
    labelsCreated: () => labelsCreated,
    paymentAuthorizationsIssued: () => paymentAuthorizationsIssued,
    /** What the APIs accept: self-contained JWTs outlive a revoked refresh-token family (see `checkBearer`). */
    isAccessTokenValid: (value: string) =>
      issuingContext !== undefined &&
      JWT_SHAPE.test(value) &&
      acceptedCaller(value, issuingContext) !== undefined,
    /** Payment authorization tokens are credentials too (they authorize postage payment). */
    issuedTokens: () => [...kitIssuedTokens(), ...paymentTokens.keys()],
  });
  return handle;
}

/** IMpb-style 22-digit tracking number ("92" + service and serial digits; the digits are synthetic). */
function trackingNumber(): string {
  return `9200190${Array.from(randomBytes(15), (b) => String(b % 10)).join('')}`;
}

/** [USPS-LABELS] BaseDomesticPackageDescription.mailClass. */
/** [USPS-LABELS] #/components/schemas/State, its pattern verbatim. */
const STATE_PATTERN =
  /^(AA|AE|AL|AK|AP|AS|AZ|AR|CA|CO|CT|DE|DC|FM|FL|GA|GU|HI|ID|IL|IN|IA|KS|KY|LA|ME|MH|MD|MA|MI|MN|MS|MO|MP|MT|NE|NV|NH|NJ|NM|NY|NC|ND|OH|OK|OR|PW|PA|PR|RI|SC|SD|TN|TX|UT|VT|VI|VA|WA|WV|WI|WY)$/;
const MAIL_CLASSES = new Set([
  'PARCEL_SELECT',
  'PARCEL_SELECT_LIGHTWEIGHT',
  'USPS_CONNECT_LOCAL',
  'USPS_CONNECT_REGIONAL',
  'USPS_CONNECT_MAIL',
  'USPS_GROUND_ADVANTAGE',
  'PRIORITY_MAIL_EXPRESS',
  'PRIORITY_MAIL',
  'FIRST-CLASS_PACKAGE_SERVICE',
  'LIBRARY_MAIL',
  'MEDIA_MAIL',
  'BOUND_PRINTED_MATTER',
]);
/** [USPS-LABELS] ImageInfo.imageType; the simulator draws PDF and ZPL, and answers PDF for the rest. */
const IMAGE_TYPES = new Set([
  'PDF',
  'TIFF',
  'JPG',
  'PNG',
  'GIF',
  'SVG',
  'ZPL203DPI',
  'ZPL300DPI',
  'EPL300DPI',
  'LABEL_BROKER',
  'NONE',
]);

type LabelProblem = { detail: string; parameter?: string };
const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isPositive = (value: unknown) => typeof value === 'number' && value > 0;

/**
 * The LabelRequest rules the simulator enforces, from [USPS-LABELS]: the required blocks
 * (fromAddress, packageDescription, toAddress), the address fields DomesticLabelAddress requires
 * (streetAddress, city, state of the State pattern, ZIPCode `^\d{5}$`; toAddress's are required "unless a parcel
 * locker is requested"), BaseDomesticPackageDescription's required fields with the mailClass
 * enum and a weight of 70 lb at most, and the imageType enum. The real API checks much more
 * (address validation, prices); wording and order of the checks are UNVERIFIED.
 */
function labelRequestProblem(body: unknown): LabelProblem | null {
  if (!isRecord(body)) return { detail: 'Missing required fields: body.' };
  const missing = ['toAddress', 'fromAddress', 'packageDescription'].filter(
    (field) => !isRecord(body[field]),
  );
  if (missing.length > 0)
    return { detail: `Missing required fields: ${missing.join(', ')}.`, parameter: missing[0] };
  for (const block of ['toAddress', 'fromAddress']) {
    const address = body[block] as Record<string, unknown>;
    for (const field of ['streetAddress', 'city', 'state', 'ZIPCode']) {
      if (typeof address[field] !== 'string' || address[field] === '')
        return { detail: `${block}.${field} is required.`, parameter: `${block}.${field}` };
    }
    if (!/^\d{5}$/.test(address['ZIPCode'] as string))
      return { detail: `${block}.ZIPCode must be 5 digits.`, parameter: `${block}.ZIPCode` };
    // [USPS-LABELS] DomesticLabelAddress.state is a State (2 characters, STATE_PATTERN).
    if (!STATE_PATTERN.test(address['state'] as string))
      return { detail: `${block}.state is not a state code.`, parameter: `${block}.state` };
  }
  const pkg = body['packageDescription'] as Record<string, unknown>;
  for (const field of ['mailClass', 'processingCategory', 'destinationEntryFacilityType', 'mailingDate']) {
    if (typeof pkg[field] !== 'string' || pkg[field] === '')
      return { detail: `packageDescription.${field} is required.`, parameter: `packageDescription.${field}` };
  }
  for (const field of ['weight', 'length', 'height', 'width']) {
    if (!isPositive(pkg[field]))
      return {
        detail: `packageDescription.${field} must be a positive number.`,
        parameter: `packageDescription.${field}`,
      };
  }
  if (!MAIL_CLASSES.has(pkg['mailClass'] as string))
    return {
      detail: 'packageDescription.mailClass is not a mail class.',
      parameter: 'packageDescription.mailClass',
    };
  // "Items must weigh 70 pounds (1120 ounces) or less."
  if ((pkg['weight'] as number) > 70)
    return { detail: 'The package weighs more than 70 lb.', parameter: 'packageDescription.weight' };
  const imageType = isRecord(body['imageInfo']) ? body['imageInfo']['imageType'] : undefined;
  if (imageType !== undefined && !IMAGE_TYPES.has(imageType as string))
    return { detail: 'imageInfo.imageType is not an image type.', parameter: 'imageInfo.imageType' };
  return null;
}

/** A minimal ZPL II label (4x6 in at 203 or 300 dpi): stands in for a thermal label; content synthetic. */
function zplLabel(dpi: 203 | 300, trackingNumber: string): string {
  const dot = (inches: number) => Math.round(inches * dpi);
  return (
    `^XA^PW${dot(4)}^LL${dot(6)}` +
    `^FO${dot(0.2)},${dot(0.2)}^A0N,${dot(0.3)},${dot(0.3)}^FDUSPS SIMULATED LABEL^FS` +
    `^FO${dot(0.2)},${dot(1)}^BCN,${dot(1)},Y,N,N^FD${trackingNumber}^FS^XZ\n`
  );
}

/** The label image in the requested imageType ([USPS-LABELS] ImageInfo, default PDF). */
function labelImage(body: Record<string, unknown>, trackingNumber: string) {
  const imageType = isRecord(body['imageInfo']) ? body['imageInfo']['imageType'] : undefined;
  if (imageType === 'ZPL203DPI' || imageType === 'ZPL300DPI') {
    const zpl = zplLabel(imageType === 'ZPL203DPI' ? 203 : 300, trackingNumber);
    // ZPL is not in the part's listed content types; application/octet-stream is ([USPS-LABELS] encoding.labelImage).
    return {
      base64: Buffer.from(zpl).toString('base64'),
      contentType: 'application/octet-stream',
      ext: 'zpl',
    };
  }
  return { base64: LABEL_PDF_BASE64, contentType: 'application/pdf', ext: 'pdf' };
}

/**
 * The label answer ([USPS-LABELS] post-label 200). By default a multipart/form-data body with
 * the `labelMetadata` JSON part and the base64 `labelImage` part ("The default media type of the
 * response has multiple parts"; "The contents of this part are always Base64 encoded"). With
 * `Accept: application/vnd.usps.labels+json`, one JSON object with the image inline
 * (LabelVendorResponse). Only the minimum of LabelMetadata is filled in; prices are synthetic.
 */
function labelResponse(req: SimRequest, body: Record<string, unknown>): SimResponse {
  const to = body['toAddress'] as Record<string, unknown>;
  const pkg = body['packageDescription'] as Record<string, unknown>;
  const zip = typeof to['ZIPCode'] === 'string' ? to['ZIPCode'] : '';
  const labelAddress = Object.fromEntries(
    [
      'firstName',
      'lastName',
      'firm',
      'streetAddress',
      'secondaryAddress',
      'city',
      'state',
      'ZIPCode',
      'ZIPPlus4',
    ]
      .filter((field) => typeof to[field] === 'string')
      .map((field) => [field, to[field]]),
  );
  const mailingDate = typeof pkg['mailingDate'] === 'string' ? pkg['mailingDate'] : '';
  const tracking = trackingNumber();
  const image = labelImage(body, tracking);
  const metadata = {
    labelAddress,
    // "The "420" 3-digit GS1 Application Identifier and the 5 or 9 digit Destination ZIP Code".
    routingInformation: `420${zip}`,
    trackingNumber: tracking,
    constructCode: 'C01',
    SKU: 'DVXP0XXXXC01010',
    postage: 7.55,
    extraServices: [],
    zone: '04',
    // "If the time was not provided, it will be defaulted to 10:00 p.m. local time."
    ...(/^\d{4}-\d{2}-\d{2}$/.test(mailingDate) ? { mailingDate: `${mailingDate}T22:00:00Z` } : {}),
    weightUOM: typeof pkg['weightUOM'] === 'string' ? pkg['weightUOM'] : 'lb',
    weight: typeof pkg['weight'] === 'number' ? pkg['weight'] : 0,
    fees: [],
  };
  if ((header(req, 'accept') ?? '').toLowerCase().includes('application/vnd.usps.labels+json')) {
    return json(
      200,
      { ...metadata, labelImage: image.base64 },
      {
        'Content-Type': 'application/vnd.usps.labels+json',
      },
    );
  }
  const boundary = `usps-sim-${randomBytes(12).toString('hex')}`;
  const part = (headers: string[], content: string) =>
    `--${boundary}\r\n${headers.join('\r\n')}\r\n\r\n${content}\r\n`;
  const multipart =
    part(
      ['Content-Disposition: form-data; name="labelMetadata"', 'Content-Type: application/json'],
      JSON.stringify(metadata),
    ) +
    part(
      [
        `Content-Disposition: form-data; name="labelImage"; filename="labelImage.${image.ext}"`,
        `Content-Type: ${image.contentType}`,
        'Content-Transfer-Encoding: base64',
      ],
      image.base64,
    ) +
    `--${boundary}--\r\n`;
  return {
    status: 200,
    headers: { 'Content-Type': `multipart/form-data; boundary=${boundary}` },
    body: multipart,
  };
}

/**
 * A Ground Advantage label request valid per domestic-labels.yaml (GroundAdvantageRequest), for
 * tests and the demo.
 */
export function uspsExampleLabelRequest() {
  return {
    toAddress: {
      firstName: 'Nick',
      lastName: 'Fury',
      streetAddress: '2700 S Jefferson Ave',
      secondaryAddress: 'STE 150',
      city: 'St. Louis',
      state: 'MO',
      ZIPCode: '63104',
      ZIPPlus4: '2351',
    },
    fromAddress: {
      firstName: 'Sam',
      lastName: 'Wilson',
      streetAddress: '45 L St SW',
      city: 'Washington',
      state: 'DC',
      ZIPCode: '20024',
    },
    packageDescription: {
      mailClass: 'USPS_GROUND_ADVANTAGE',
      rateIndicator: 'SP',
      weightUOM: 'lb',
      weight: 0.5,
      dimensionsUOM: 'in',
      length: 9,
      height: 6,
      width: 0.25,
      processingCategory: 'NONSTANDARD',
      mailingDate: '2024-10-05',
      extraServices: [],
      destinationEntryFacilityType: 'NONE',
    },
  };
}

// --- Cancel label (issue 15) ------------------------------------------------------------------

/** The label's tracking number, from the JSON or the multipart answer's labelMetadata part. */
function recordInLedger(ctx: SimContext, response: SimResponse, idempotencyKey: string | undefined): void {
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  const tracking = /"trackingNumber":"([^"]+)"/.exec(text)?.[1];
  if (tracking === undefined) return;
  ctx.ledger.record({
    trackingNumbers: [tracking],
    ...(idempotencyKey !== undefined ? { idempotencyKey } : {}),
    labels: [],
    createdAtMs: ctx.now(),
  });
}

/**
 * [USPS-LABELS] DELETE /label/{trackingNumber} (delete-label-by-tracking), with the payment
 * authorization token: 200 CancelResponse `CANCELED` before a Shipping Services File exists. A label
 * the simulator's ledger calls manifested was also used: USPS then refuses the refund, in the spec's
 * ExampleCancelError_REFUND_NOT_SUBMITTED; an unknown number gets ExampleCancelError_NOTFOUND.
 */
function cancelLabel(req: SimRequest, trackingNumber: string, ctx: SimContext): SimResponse {
  const apiVersion = '/labels/v3';
  if (!header(req, 'x-payment-authorization-token')) {
    return badRequest(
      '/labels/v3/',
      'X-Payment-Authorization-Token is required.',
      'X-Payment-Authorization-Token',
    );
  }
  const result = ctx.ledger.void(trackingNumber);
  if (result === 'voided') return json(200, { trackingNumber, status: 'CANCELED' });
  const detail =
    result === 'too_late' ? 'A refund request for this order cannot be submitted' : 'Order not found';
  return apiError(400, apiVersion, 'Bad Request', [
    { title: 'Bad Request', detail, code: '00000XX', source: { parameter: 'trackingNumber' } },
  ]);
}
