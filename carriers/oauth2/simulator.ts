/**
 * @module carriers/oauth2/simulator
 * Loopback simulator of a generic OAuth 2.0 authorization server plus resource server, for carriers
 * that follow the RFCs (USPS-like): token endpoint per RFC 6749 (client_credentials, password,
 * refresh_token with rotation), RS256 JWT access tokens per RFC 9068 with a JWKS (RFC 7517), and
 * Bearer-protected resources per RFC 6750. Per-client registrations (the scopes and grants a client
 * may use) reproduce a registration changed at the carrier: invalid_scope and unauthorized_client.
 * Token introspection per RFC 7662, and a revocation fault (`revokeAccessTokens`, or
 * `POST /__oauth2/revoke-access-tokens` for a gateway in another process): every access token
 * issued so far is then refused by the API and reported inactive by introspection, while our
 * side's clock still holds it valid, which is what the gateway's `authorization.revoked` class is.
 */
import { randomUUID } from 'node:crypto';

import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { z } from 'zod';

import {
  basicCredentials,
  bearerToken,
  defaultFaults,
  formOf,
  freezeFaults,
  isFormContentType,
  json,
  jsonOf,
  startSimulator,
  type AccessCheck,
  type CarrierDefinition,
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
  type TokenFamily,
} from '../../src/sim/index.js';

export const OAUTH2_PATHS = {
  token: '/oauth/token',
  jwks: '/jwks',
  /** RFC 8414 metadata, so clients can discover the other two. */
  metadata: '/.well-known/oauth-authorization-server',
  resource: '/api/resource',
  echo: '/api/echo',
  /** RFC 7662 2: token introspection. */
  introspect: '/oauth/introspect',
} as const;

/**
 * Carrier-specific test controls next to the engine's `/__sim/*` (which the engine answers
 * itself): loopback tooling, no authentication, like `/__sim/*`.
 */
export const OAUTH2_CONTROL_PATHS = {
  /** POST, optional JSON body `{ "clientId": "..." }`: `revokeAccessTokens` over HTTP. */
  revokeAccessTokens: '/__oauth2/revoke-access-tokens',
} as const;

export const OAUTH2_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
export const OAUTH2_REFRESH_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;
/** RFC 6749 §3.3: without a `scope` parameter the server must apply a default. */
export const OAUTH2_DEFAULT_SCOPE = 'api';
const SUPPORTED_GRANTS: ReadonlySet<string> = new Set(['client_credentials', 'password', 'refresh_token']);

export const OAUTH2_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(
  defaultFaults(OAUTH2_ACCESS_TOKEN_LIFETIME_SECONDS),
);

/**
 * What the server lets one client ask for (RFC 6749 §3.3, §5.2); unset fields allow anything.
 * Changed at run time (`register`), it reproduces a registration changed at the carrier: a scope
 * withdrawn answers `invalid_scope`, a grant withdrawn `unauthorized_client`, which the gateway's
 * failure taxonomy must tell apart from a bad secret (test/health/taxonomy-faults.test.ts).
 */
export interface OAuth2ClientRegistration {
  /** Scopes the client may request; asking for any other gets 400 invalid_scope. */
  scopes?: string[];
  /** Grant types the client may use; any other (supported) grant gets 400 unauthorized_client. */
  grants?: string[];
}

export interface OAuth2SimulatorOptions extends SimulatorOptions {
  /** Resource owners for the password grant (RFC 6749 §4.3). */
  users?: { username: string; password: string }[];
  /** Per-client registrations; clients not listed may use every grant and scope. */
  registrations?: Record<string, OAuth2ClientRegistration>;
  /** `aud` when the request names neither `audience` nor `resource`. Default `<url>/api`. */
  audience?: string;
  /** `iss` of issued tokens. Default: the server URL. */
  issuer?: string;
  /** Default 7 days. */
  refreshTokenLifetimeSeconds?: number;
}

export interface OAuth2SimulatorHandle extends SimulatorHandle {
  readonly issuer: string;
  readonly audience: string;
  /** The public signing key set, as served at `/jwks`. */
  jwks(): { keys: JWK[] };
  /** Replaces a client's registration (null: no restriction); tokens already issued stay valid. */
  register(clientId: string, registration: OAuth2ClientRegistration | null): void;
  /**
   * The revocation fault: every access token issued so far (to `clientId` only, when given) is
   * revoked, as an administrator or a security incident at the carrier would. The API answers
   * them 401 `invalid_token` (RFC 6750 3.1), introspection `{"active": false}` (RFC 7662 2.2);
   * refresh tokens and tokens issued afterwards are untouched. Returns how many were revoked.
   */
  revokeAccessTokens(clientId?: string): number;
  /** Requests to the introspection endpoint so far, rejected ones included. */
  introspectionRequests(): number;
}

const REALM = 'oauth2-sim';
/** RFC 6749 §5.1: token responses must not be cached. */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };

/** RFC 6749 §5.2 error response. */
function oauthError(
  status: number,
  error: string,
  description: string,
  headers?: Record<string, string>,
): SimResponse {
  return json(status, { error, error_description: description }, { ...NO_STORE, ...headers });
}

/** RFC 6749 §5.2: invalid_client is 401 with a WWW-Authenticate challenge for the scheme the client may use. */
const invalidClient = () =>
  oauthError(401, 'invalid_client', 'Client authentication failed.', {
    'WWW-Authenticate': `Basic realm="${REALM}"`,
  });
const invalidRequest = (description: string) => oauthError(400, 'invalid_request', description);
const invalidGrant = (description: string) => oauthError(400, 'invalid_grant', description);

/** RFC 6750 §3.1: no error code when the request carried no token at all. */
function unauthorizedApi(description: string | null): SimResponse {
  const challenge =
    description === null
      ? `Bearer realm="${REALM}"`
      : `Bearer realm="${REALM}", error="invalid_token", error_description="${description}"`;
  return json(
    401,
    { error: 'invalid_token', error_description: description ?? 'Missing access token.' },
    { 'WWW-Authenticate': challenge },
  );
}

/** `POST /__oauth2/revoke-access-tokens` body. */
const revokeControlSchema = z.strictObject({ clientId: z.string().min(1).optional() });

/** Above this many live access tokens, issuing forgets the expired ones (as src/sim/tokens.ts does). */
const PRUNE_THRESHOLD = 10_000;

/** Space-delimited scope list (RFC 6749 §3.3). */
const scopeSet = (scope: string) => new Set(scope.split(' ').filter(Boolean));

/**
 * Start a generic OAuth 2.0 simulator on loopback.
 * @example
 * const sim = await startOAuth2Simulator({ clients: [{ clientId: 'c', clientSecret: 's' }] });
 * // POST `${sim.url}/oauth/token` grant_type=client_credentials with Basic c:s; verify with `${sim.url}/jwks`
 */
export async function startOAuth2Simulator(
  options: OAuth2SimulatorOptions = {},
): Promise<OAuth2SimulatorHandle> {
  const users = new Map((options.users ?? []).map((u) => [u.username, u.password]));
  const registrations = new Map(Object.entries(options.registrations ?? {}));
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const publicJwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(publicJwk);
  const jwks = { keys: [{ ...publicJwk, kid, alg: 'RS256', use: 'sig' }] };
  let baseUrl = '';
  const issuer = () => options.issuer ?? baseUrl;
  const defaultAudience = () => options.audience ?? `${baseUrl}/api`;
  /** Access tokens not yet revoked, with what revocation needs (the engine's store cannot list them). */
  const live = new Map<string, { clientId: string; expiresAtMs: number }>();
  /** Revoked access tokens → their expiry, after which they are forgotten (the API calls them expired). */
  const revoked = new Map<string, number>();
  let introspections = 0;

  function revokeAccessTokens(clientId?: string): number {
    let count = 0;
    for (const [token, entry] of live) {
      if (clientId !== undefined && entry.clientId !== clientId) continue;
      live.delete(token);
      revoked.set(token, entry.expiresAtMs);
      count += 1;
    }
    return count;
  }

  function pruneExpired(nowMs: number): void {
    for (const [token, entry] of live) if (entry.expiresAtMs <= nowMs) live.delete(token);
    for (const [token, expiresAtMs] of revoked) if (expiresAtMs <= nowMs) revoked.delete(token);
  }

  /** The engine's access check, with this simulator's revocations applied first. */
  function checkAccess(ctx: SimContext, token: string): AccessCheck {
    if (revoked.has(token)) return { ok: false, reason: 'revoked' };
    return ctx.checkAccess(token);
  }

  /**
   * client_secret_basic or client_secret_post (RFC 6749 §2.3.1), never both (§2.3: "MUST NOT use
   * more than one authentication method in each request").
   */
  function authenticateClient(
    req: SimRequest,
    form: URLSearchParams,
    ctx: SimContext,
  ): { clientId: string } | { error: SimResponse } {
    // §2.3.1: Basic user and password are form-url-encoded before base64.
    const basic = basicCredentials(req, true);
    if (basic === null) return { error: invalidClient() };
    const postId = form.get('client_id');
    const postSecret = form.get('client_secret');
    if (basic && postSecret !== null)
      return { error: invalidRequest('Use one client authentication method only.') };
    if (basic && postId !== null && postId !== basic.username) {
      return { error: invalidRequest('client_id does not match the Authorization header.') };
    }
    const clientId = basic?.username ?? postId;
    const secret = basic?.password ?? postSecret;
    if (!clientId || secret === null || ctx.checkClient(clientId, secret) !== 'ok')
      return { error: invalidClient() };
    return { clientId };
  }

  /** RFC 8707 `resource` may repeat; a non-standard but common `audience` takes precedence. */
  function audienceOf(form: URLSearchParams): string | string[] {
    const resources = form.getAll('resource').filter(Boolean);
    return form.get('audience') || (resources.length > 1 ? resources : resources[0]) || defaultAudience();
  }

  async function issue(
    ctx: SimContext,
    grant: {
      clientId: string;
      subject: string;
      scope: string;
      audience: string | string[];
      familyId?: string;
    },
  ): Promise<string> {
    const lifetime = ctx.faults.tokenLifetimeSeconds;
    const now = ctx.now();
    const iat = Math.floor(ctx.carrierNow() / 1000);
    // RFC 9068 §2.2 claims; typ "at+jwt" per §2.1.
    const token = await new SignJWT({ scope: grant.scope, client_id: grant.clientId })
      .setProtectedHeader({ alg: 'RS256', kid, typ: 'at+jwt' })
      .setIssuer(issuer())
      .setAudience(grant.audience)
      .setSubject(grant.subject)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + lifetime)
      .setJti(randomUUID())
      .sign(privateKey);
    ctx.recordAccess(token, {
      clientId: grant.clientId,
      issuedAtMs: now,
      expiresAtMs: now + lifetime * 1000,
      subject: grant.subject,
      scope: grant.scope,
      ...(grant.familyId ? { familyId: grant.familyId } : {}),
    });
    if (live.size + revoked.size >= PRUNE_THRESHOLD) pruneExpired(now);
    live.set(token, { clientId: grant.clientId, expiresAtMs: now + lifetime * 1000 });
    return token;
  }

  async function token(req: SimRequest, ctx: SimContext): Promise<SimResponse> {
    if (req.method !== 'POST') return { ...invalidRequest('Use POST.'), status: 405 };
    // RFC 6749 §4.4.2 / §3.2: the token request is application/x-www-form-urlencoded.
    if (!isFormContentType(req))
      return invalidRequest('Content-Type must be application/x-www-form-urlencoded.');
    const form = formOf(req);
    // RFC 6749 §3.2: parameters must not repeat (RFC 8707 lets `resource` repeat).
    const repeated = [...new Set(form.keys())].find((k) => k !== 'resource' && form.getAll(k).length > 1);
    if (repeated) return invalidRequest(`Parameter ${repeated} is repeated.`);
    const auth = authenticateClient(req, form, ctx);
    if ('error' in auth) return auth.error;
    const { clientId } = auth;
    const requestedScope = form.get('scope') || null;
    const audience = audienceOf(form);
    const registration = registrations.get(clientId);
    const grantType = form.get('grant_type');
    if (registration !== undefined && grantType !== null && SUPPORTED_GRANTS.has(grantType)) {
      // §5.2 unauthorized_client: "not authorized to use this authorization grant type".
      if (registration.grants !== undefined && !registration.grants.includes(grantType)) {
        return oauthError(400, 'unauthorized_client', 'The client is not authorized to use this grant type.');
      }
      // §5.2 invalid_scope: the scope asked for (or the default one, §3.3) exceeds the registration.
      // A refresh without `scope` keeps the original grant's (§6), which is checked elsewhere.
      const asked = grantType === 'refresh_token' ? requestedScope : (requestedScope ?? OAUTH2_DEFAULT_SCOPE);
      const allowed = registration.scopes;
      if (
        asked !== null &&
        allowed !== undefined &&
        ![...scopeSet(asked)].every((s) => allowed.includes(s))
      ) {
        return oauthError(
          400,
          'invalid_scope',
          'The requested scope exceeds what the client is registered for.',
        );
      }
    }

    switch (grantType) {
      case null:
      case '':
        return invalidRequest('Missing grant_type.');
      case 'client_credentials': {
        // §4.4.3: no refresh token for client credentials.
        const scope = requestedScope ?? OAUTH2_DEFAULT_SCOPE;
        const accessToken = await issue(ctx, { clientId, subject: clientId, scope, audience });
        return success(ctx, accessToken, scope);
      }
      case 'password': {
        const username = form.get('username');
        const password = form.get('password');
        if (!username || password === null) return invalidRequest('Missing username or password.');
        if (users.get(username) !== password) return invalidGrant('Invalid resource owner credentials.');
        const scope = requestedScope ?? OAUTH2_DEFAULT_SCOPE;
        const family = ctx.newFamily(clientId, { subject: username, scope });
        const accessToken = await issue(ctx, {
          clientId,
          subject: username,
          scope,
          audience,
          familyId: family.id,
        });
        return success(ctx, accessToken, scope, ctx.mintRefresh(family));
      }
      case 'refresh_token': {
        const presented = form.get('refresh_token');
        if (!presented) return invalidRequest('Missing refresh_token.');
        const grantedScope = (family: TokenFamily) => family.scope ?? OAUTH2_DEFAULT_SCOPE;
        // §6: a refresh may narrow the scope, never widen it.
        const withinGrant = (family: TokenFamily) =>
          !requestedScope ||
          [...scopeSet(requestedScope)].every((s) => scopeSet(grantedScope(family)).has(s));
        const redeemed = ctx.redeemRefresh(presented, clientId, withinGrant);
        if (!redeemed.ok) {
          if (redeemed.reason === 'precondition') {
            return oauthError(400, 'invalid_scope', 'Requested scope exceeds the original grant.');
          }
          return invalidGrant(
            redeemed.reason === 'reused'
              ? 'Refresh token was already used; every token of its grant is revoked.'
              : `Invalid refresh token (${redeemed.reason}).`,
          );
        }
        const { family } = redeemed;
        const scope = requestedScope ?? grantedScope(family);
        const subject = family.subject ?? clientId;
        const accessToken = await issue(ctx, { clientId, subject, scope, audience, familyId: family.id });
        // Rotation: a new refresh token on every refresh (OAuth 2.0 Security BCP §4.14.2).
        return success(ctx, accessToken, scope, ctx.mintRefresh(family));
      }
      default:
        return oauthError(400, 'unsupported_grant_type', 'The grant type is not supported.');
    }
  }

  function success(ctx: SimContext, accessToken: string, scope: string, refreshToken?: string): SimResponse {
    return json(
      200,
      {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: ctx.faults.tokenLifetimeSeconds,
        scope,
        ...(refreshToken ? { refresh_token: refreshToken } : {}),
      },
      NO_STORE,
    );
  }

  /**
   * RFC 7662 2.1: a form POST with `token` and an optional `token_type_hint`, from an
   * authenticated client (the endpoint "MUST also require some form of authorization"; 2.3:
   * invalid client credentials get RFC 6749 5.2's 401). 2.2: `active` is the only required
   * member; an inactive token (revoked, expired, unknown, or a refresh token: only access tokens
   * are looked up, which 2.1 lets a server do whatever the hint says) gets `{"active": false}`
   * and nothing else, since the server "SHOULD NOT include any additional information about an
   * inactive token, including why the token is inactive".
   */
  function introspect(req: SimRequest, ctx: SimContext): SimResponse {
    introspections += 1;
    if (req.method !== 'POST') return { ...invalidRequest('Use POST.'), status: 405 };
    if (!isFormContentType(req))
      return invalidRequest('Content-Type must be application/x-www-form-urlencoded.');
    const form = formOf(req);
    const repeated = [...new Set(form.keys())].find((k) => form.getAll(k).length > 1);
    if (repeated) return invalidRequest(`Parameter ${repeated} is repeated.`);
    const auth = authenticateClient(req, form, ctx);
    if ('error' in auth) return auth.error;
    const presented = form.get('token');
    if (!presented) return invalidRequest('Missing token.');
    const check = checkAccess(ctx, presented);
    if (!check.ok) return json(200, { active: false }, NO_STORE);
    const { record } = check;
    // NumericDate (RFC 7519 2) on the carrier's clock, as the token's own iat and exp are.
    const skewMs = ctx.carrierNow() - ctx.now();
    const numeric = (ms: number) => Math.floor((ms + skewMs) / 1000);
    return json(
      200,
      {
        active: true,
        scope: record.scope ?? OAUTH2_DEFAULT_SCOPE,
        client_id: record.clientId,
        exp: numeric(record.expiresAtMs),
        iat: numeric(record.issuedAtMs),
        token_type: 'Bearer',
      },
      NO_STORE,
    );
  }

  function revokeControl(req: SimRequest): SimResponse {
    if (req.method !== 'POST') return json(405, { error: `use POST ${req.path}` });
    const parsed = revokeControlSchema.safeParse(jsonOf(req) ?? {});
    if (!parsed.success) return json(400, { error: z.prettifyError(parsed.error) });
    return json(200, { revoked: revokeAccessTokens(parsed.data.clientId) });
  }

  function api(req: SimRequest, ctx: SimContext): SimResponse {
    const bearer = bearerToken(req);
    if (!bearer) return unauthorizedApi(null);
    const check = checkAccess(ctx, bearer);
    if (!check.ok) {
      return unauthorizedApi(
        check.reason === 'unknown' ? 'The access token is invalid.' : `The access token is ${check.reason}.`,
      );
    }
    const { record } = check;
    if (req.path === OAUTH2_PATHS.resource && req.method === 'GET') {
      return json(200, { ok: true, sub: record.subject, client_id: record.clientId, scope: record.scope });
    }
    if (req.path === OAUTH2_PATHS.echo && req.method === 'POST') {
      return json(200, { method: req.method, body: jsonOf(req) ?? null });
    }
    return json(404, { error: 'not_found', error_description: `No resource at ${req.method} ${req.path}.` });
  }

  function route(req: SimRequest, ctx: SimContext): SimResponse | Promise<SimResponse> {
    if (req.path === OAUTH2_PATHS.token) return token(req, ctx);
    if (req.path === OAUTH2_PATHS.introspect) return introspect(req, ctx);
    if (req.path === OAUTH2_CONTROL_PATHS.revokeAccessTokens) return revokeControl(req);
    if (isApiPath(req.path)) return api(req, ctx);
    if (req.method === 'GET' && req.path === OAUTH2_PATHS.jwks) return json(200, jwks);
    if (req.method === 'GET' && req.path === OAUTH2_PATHS.metadata) {
      return json(200, {
        issuer: issuer(),
        token_endpoint: `${ctx.url}${OAUTH2_PATHS.token}`,
        jwks_uri: `${ctx.url}${OAUTH2_PATHS.jwks}`,
        grant_types_supported: [...SUPPORTED_GRANTS],
        token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
        // RFC 8414 2: the RFC 7662 endpoint and the client authentication it takes.
        introspection_endpoint: `${ctx.url}${OAUTH2_PATHS.introspect}`,
        introspection_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      });
    }
    return json(404, { error: 'not_found', error_description: `No resource at ${req.method} ${req.path}.` });
  }

  const definition: CarrierDefinition = {
    defaults: OAUTH2_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: options.refreshTokenLifetimeSeconds ?? OAUTH2_REFRESH_TOKEN_LIFETIME_SECONDS,
    isTokenPath: (path) => path === OAUTH2_PATHS.token,
    isApiPath,
    clientIdOf: (req) => basicCredentials(req, true)?.username ?? formOf(req).get('client_id') ?? undefined,
    // USPS's spike-arrest body [USPS-OAUTH]; Retry-After only when the fault sets it.
    throttled: (_req, retryAfter) =>
      json(
        429,
        {
          error: 'invalid_request',
          error_description: 'SpikeArrestViolation: Too many requests received from client in a short time.',
          error_uri: 'https://datatracker.ietf.org/doc/html/rfc6585#section-4',
        },
        retryAfter === undefined ? NO_STORE : { ...NO_STORE, 'Retry-After': String(retryAfter) },
      ),
    // RFC 6749 defines server_error / temporarily_unavailable for the authorization endpoint (§4.1.2.1);
    // token endpoints commonly reuse them.
    serverError: (_req, status) =>
      status === 500
        ? oauthError(500, 'server_error', 'The authorization server encountered an unexpected condition.')
        : oauthError(503, 'temporarily_unavailable', 'The authorization server is temporarily unavailable.'),
    errorInSuccessBody: () => oauthError(200, 'invalid_client', 'Client authentication failed.'),
    handle: route,
  };

  const sim = await startSimulator(definition, options);
  baseUrl = sim.url;
  const engineValid = sim.isAccessTokenValid.bind(sim);
  return Object.defineProperties(sim, {
    issuer: { get: issuer, enumerable: true },
    audience: { get: defaultAudience, enumerable: true },
    jwks: { value: () => structuredClone(jwks), enumerable: true },
    register: {
      value: (clientId: string, registration: OAuth2ClientRegistration | null) => {
        if (registration === null) registrations.delete(clientId);
        else registrations.set(clientId, { ...registration });
      },
      enumerable: true,
    },
    revokeAccessTokens: { value: revokeAccessTokens, enumerable: true },
    introspectionRequests: { value: () => introspections, enumerable: true },
    isAccessTokenValid: {
      value: (token: string) => !revoked.has(token) && engineValid(token),
      enumerable: true,
    },
  }) as OAuth2SimulatorHandle;
}

function isApiPath(path: string): boolean {
  return path.startsWith('/api/');
}
