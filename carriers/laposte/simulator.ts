/**
 * @module carriers/laposte/simulator
 * Loopback simulator of the La Poste Okapi gateway (api.laposte.fr) serving the Suivi v2 tracking
 * API behind a static `X-Okapi-Key`, written from `shared/carrier-specs/laposte/
 * la-poste-groupe-suivi-openapi.json` [LP-SUIVI] and `carrier-auth-facts.md` §4a ([LP-AUTH-EV],
 * [KAR-LP], [LP-RL-EV]).
 *
 * With `oauth: true` it also serves an OAuth mode: `/oauth/authorize` and `/oauth/token` with the
 * authorization-code grant, S256 PKCE and single-use rotating refresh tokens whose reuse revokes
 * the whole token family. It exists to reproduce the failure reported from production for La
 * Poste accounts set up with the authorization-code flow + PKCE: two refreshes racing with the same
 * refresh token burn the family. No OAuth or PKCE flow for La Poste shipping or tracking APIs was
 * found in the sources (facts §4c: only Digiposte has a token endpoint, client_credentials; that
 * none exists is UNVERIFIED), so this mode follows RFC 6749 and RFC 7636, not a La Poste document.
 */
import { createHash } from 'node:crypto';

import {
  basicCredentials,
  defaultFaults,
  formOf,
  freezeFaults,
  header,
  isFormContentType,
  json,
  opaqueToken,
  startSimulator,
  type CarrierDefinition,
  type SimClient,
  type SimContext,
  type SimFaults,
  type SimRequest,
  type SimResponse,
  type SimulatorHandle,
  type SimulatorOptions,
  type TokenFamily,
} from '../../src/sim/index.js';

export const LAPOSTE_PATHS = {
  /** [LP-SUIVI] servers `https://api.laposte.fr/suivi/v2` + `GET /idships/{idship}`. */
  suivi: '/suivi/v2/idships/',
  /** OAuth mode only; RFC 6749 3.1 (no La Poste source, facts §4c). */
  authorize: '/oauth/authorize',
  /** OAuth mode only; RFC 6749 3.2 (no La Poste source, facts §4c). */
  token: '/oauth/token',
} as const;

/** [LP-SUIVI] idshipP: "ID of object (1 to 10, comma separated)". */
export const LAPOSTE_MAX_IDSHIPS = 10;
/**
 * [KAR-LP] "max quota reached (100 calls per 1s)"; a third-party catalogue says 100 per minute
 * ([LP-RL-EV]), so the window is UNVERIFIED and an option.
 */
export const LAPOSTE_DEFAULT_QUOTA: Readonly<LaposteQuota> = Object.freeze({ limit: 100, windowMs: 1000 });
/** [LP-SUIVI] response404 example idShip (returnCode 104): unknown unless the options say otherwise. */
export const LAPOSTE_UNKNOWN_IDSHIP = '6S00993561113';
/** OAuth mode: no La Poste source gives lifetimes (facts §4c); UNVERIFIED, 1 h and 7 days chosen. */
export const LAPOSTE_OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS = 3600;
export const LAPOSTE_OAUTH_REFRESH_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;
/** RFC 6749 4.1.2: "A maximum authorization code lifetime of 10 minutes is RECOMMENDED." */
const AUTH_CODE_LIFETIME_MS = 10 * 60 * 1000;

export const LAPOSTE_DEFAULT_FAULTS: Readonly<SimFaults> = freezeFaults(
  defaultFaults(LAPOSTE_OAUTH_ACCESS_TOKEN_LIFETIME_SECONDS),
);

export interface LaposteQuota {
  /** Calls accepted per window and per application key. */
  limit: number;
  windowMs: number;
}

export interface LaposteSimulatorOptions extends SimulatorOptions {
  /** Per-key call quota, counted in fixed windows of the simulator clock. Default {@link LAPOSTE_DEFAULT_QUOTA}. */
  quota?: LaposteQuota;
  /** Well-formed idShips answered "unknown" (returnCode 104). Default `[LAPOSTE_UNKNOWN_IDSHIP]`. */
  unknownIdShips?: string[];
  /** Serve the OAuth mode (`/oauth/authorize`, `/oauth/token`, Bearer on Suivi). Default false. */
  oauth?: boolean;
}

export interface LaposteSimulatorHandle extends SimulatorHandle {
  /**
   * OAuth mode: mint an authorization code as if the user had consented at `/oauth/authorize`
   * with this S256 `code_challenge` (RFC 7636 4.3). Single use.
   */
  issueAuthorizationCode(clientId: string, redirectUri: string, codeChallenge: string): string;
}

/**
 * The static keys the simulator accepts: every registered client's secret (the gateway sends
 * `credentials.clientSecret` as the key, carriers/laposte/auth.ts). The kit keeps its client table
 * private and has no lookup by secret, so the table is mirrored here and kept in step with
 * `addClient`/`rotateSecret` (which the `/__sim/*` control API calls on the same handle).
 * Shared with carriers/colissimo/simulator.ts; a candidate for src/sim.
 */
export class StaticKeys {
  readonly #secrets: Map<string, string>;

  constructor(clients: readonly SimClient[] = []) {
    this.#secrets = new Map(clients.map((client) => [client.clientId, client.clientSecret]));
  }

  /** The client whose key this is, if any. */
  clientOf(key: string | undefined): string | undefined {
    if (!key) return undefined;
    for (const [clientId, secret] of this.#secrets) if (secret === key) return clientId;
    return undefined;
  }

  /** Keeps the mirror in step with the handle's client changes. */
  follow(sim: SimulatorHandle): void {
    const addClient = sim.addClient.bind(sim);
    const rotateSecret = sim.rotateSecret.bind(sim);
    sim.addClient = (client) => {
      addClient(client);
      this.#secrets.set(client.clientId, client.clientSecret);
    };
    sim.rotateSecret = (clientId, newSecret) => {
      rotateSecret(clientId, newSecret);
      this.#secrets.set(clientId, newSecret);
    };
  }
}

/** Okapi gateway error body `{code, message}` ([LP-AUTH-EV] observed 401, [KAR-LP] schemas/error.json). */
function okapiError(status: number, code: string, message: string, headers?: Record<string, string>) {
  return json(status, { code, message }, headers);
}

/**
 * [LP-AUTH-EV] the observed answer to a missing key. The spec declares 401 "Unauthorized: HMAC
 * verification failed" with no body ([LP-SUIVI] response401); the body for a wrong (rather than
 * missing) key is UNVERIFIED, the observed one is used for both.
 */
const unauthorized = () => okapiError(401, 'UNAUTHORIZED', 'This action requires an authorization');
/** Unknown resource on the Okapi gateway: status and body UNVERIFIED (synthetic code). */
const notFound = () => okapiError(404, 'NOT_FOUND', 'Resource not found');

/** [KAR-LP] observed 429 body; no Retry-After is documented, the fault may add one. */
function quotaExceeded(quota: LaposteQuota, retryAfterSeconds?: number): SimResponse {
  const window = quota.windowMs % 1000 === 0 ? `${quota.windowMs / 1000}s` : `${quota.windowMs}ms`;
  return okapiError(
    429,
    'TOO_MANY_REQUESTS',
    `max quota reached (${quota.limit} calls per ${window})`,
    retryAfterSeconds === undefined ? undefined : { 'Retry-After': String(retryAfterSeconds) },
  );
}

/** [LP-SUIVI] langQ enum; default fr_FR. */
const LANGS = new Set(['fr_FR', 'en_GB', 'de_DE', 'es_ES', 'it_IT', 'nl_NL']);
/** [LP-SUIVI] suiviShipment.idShip: "composed from 11 to 15 alphanumeric characters". */
const IDSHIP = /^[A-Za-z0-9]{11,15}$/;
/** [LP-SUIVI] response400 example returnMessage. */
const INVALID_IDSHIP_MESSAGE =
  'Le numéro que vous avez saisi n’est pas valide. Nous vous invitons à vérifier votre saisie, en particulier le nombre de caractères.';
/** [LP-SUIVI] response404 example returnMessage (returnCode 104). */
const UNKNOWN_IDSHIP_MESSAGE =
  "Votre suivi n'est pas encore disponible. Si vous avez déposé votre envoi, les informations de suivi peuvent être affichées avec un délai, veuillez réessayer ultérieurement.";

/**
 * [LP-SUIVI] response400: returnCode, returnMessage, idShip plus baseResponse (lang, scope). The
 * spec's own baseResponse enum lacks 400 although its example (and [KAR-LP]) use it; 400 is sent.
 */
function badRequest(lang: string, idShip: string, message = INVALID_IDSHIP_MESSAGE): SimResponse {
  return json(400, { returnCode: 400, returnMessage: message, idShip, lang, scope: 'open' });
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

/** One unitary 200 answer ([LP-SUIVI] 200 items: baseResponse + suiviShipment), deterministic per call. */
function tracked(idShip: string, lang: string, carrierNowMs: number): Record<string, unknown> {
  const entered = isoSeconds(carrierNowMs - 26 * 3600 * 1000);
  const sorted = isoSeconds(carrierNowMs - 2 * 3600 * 1000);
  const step = (id: number, shortLabel: string, done: boolean) => ({
    id,
    shortLabel,
    status: done,
    type: done ? 1 : 0,
    ...(id === 1 ? { date: entered, country: 'FR' } : {}),
  });
  return {
    lang,
    scope: 'open',
    returnCode: 200,
    shipment: {
      idShip,
      holder: 4, // Colissimo ([LP-SUIVI] shipmentPropPub.holder enum)
      product: 'colissimo',
      isFinal: false,
      entryDate: entered,
      // [LP-SUIVI] "5 items given"; events are anti-chronological and require `order` (event.required).
      timeline: [
        step(1, 'Pris en charge', true),
        step(2, 'En cours de traitement', true),
        step(3, 'Arrivé sur le site de distribution', false),
        step(4, 'En cours de livraison', false),
        step(5, 'Livré', false),
      ],
      event: [
        { order: 2, code: 'ET1', label: 'En cours de traitement', date: sorted },
        { order: 1, code: 'PC1', label: 'Pris en charge', date: entered },
      ],
      contextData: { deliveryChoice: { deliveryChoice: 0 }, originCountry: 'FR', arrivalCountry: 'FR' },
      url: `https://www.laposte.fr/outils/suivre-vos-envois?code=${idShip}`,
    },
  };
}

/** RFC 6749 5.2 error body; token responses are never cached (5.1). */
const NO_STORE = { 'Cache-Control': 'no-store', Pragma: 'no-cache' };
function oauthError(status: number, error: string, description: string, headers?: Record<string, string>) {
  return json(status, { error, error_description: description }, { ...NO_STORE, ...headers });
}
/** RFC 6749 5.2: invalid_client is 401 with a challenge for the scheme the client may use. */
const invalidClient = () =>
  oauthError(401, 'invalid_client', 'Client authentication failed.', {
    'WWW-Authenticate': 'Basic realm="laposte-sim"',
  });
const invalidRequest = (description: string) => oauthError(400, 'invalid_request', description);
const invalidGrant = (description: string) => oauthError(400, 'invalid_grant', description);

/** RFC 7636 4.1 / 4.2: 43 to 128 characters of [A-Z] / [a-z] / [0-9] / "-" / "." / "_" / "~". */
const PKCE_VALUE = /^[A-Za-z0-9\-._~]{43,128}$/;
/** RFC 7636 4.2: BASE64URL(SHA256(ASCII(code_verifier))). */
const s256 = (verifier: string) => createHash('sha256').update(verifier, 'ascii').digest('base64url');

interface AuthCode {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope?: string;
  expiresAtMs: number;
  /** Set once exchanged: the family it produced, revoked if the code comes back (RFC 6749 4.1.2). */
  familyId?: string;
}

/**
 * Start a La Poste simulator on loopback.
 * @example
 * const laposte = await startLaposteSimulator({ clients: [{ clientId: 'app', clientSecret: 'okapi-key' }] });
 * // GET `${laposte.url}/suivi/v2/idships/1A00915820380?lang=fr_FR` with X-Okapi-Key: okapi-key, Accept: application/json
 */
export async function startLaposteSimulator(
  options: LaposteSimulatorOptions = {},
): Promise<LaposteSimulatorHandle> {
  const quota = { ...(options.quota ?? LAPOSTE_DEFAULT_QUOTA) };
  if (!Number.isInteger(quota.limit) || quota.limit < 1)
    throw new Error('quota.limit must be a positive integer');
  if (!Number.isInteger(quota.windowMs) || quota.windowMs < 1)
    throw new Error('quota.windowMs must be a positive integer');
  const unknown = new Set(options.unknownIdShips ?? [LAPOSTE_UNKNOWN_IDSHIP]);
  const oauth = options.oauth ?? false;
  const keys = new StaticKeys(options.clients);
  const windows = new Map<string, { startMs: number; count: number }>();
  const authCodes = new Map<string, AuthCode>();

  /** Fixed windows on the simulator clock, per caller; UNVERIFIED whether Okapi counts fixed or sliding. */
  function spend(caller: string, nowMs: number): boolean {
    const startMs = nowMs - (nowMs % quota.windowMs);
    const window = windows.get(caller);
    if (!window || window.startMs !== startMs) {
      windows.set(caller, { startMs, count: 1 });
      return true;
    }
    window.count += 1;
    return window.count <= quota.limit;
  }

  /**
   * The application behind the call: its Okapi key, or in OAuth mode its token in the
   * `access_token` cookie, the spec's `JWT` scheme (la-poste-groupe-suivi-openapi.json l.182-186).
   * Suivi declares no Bearer scheme, so an `Authorization: Bearer` alone authorises nothing.
   */
  function caller(req: SimRequest, ctx: SimContext): string | undefined {
    const cookie = oauth ? accessTokenCookie(req) : undefined;
    if (cookie !== undefined) {
      const check = ctx.checkAccess(cookie);
      return check.ok ? `client:${check.record.clientId}` : undefined;
    }
    const clientId = keys.clientOf(header(req, 'x-okapi-key'));
    return clientId === undefined ? undefined : `client:${clientId}`;
  }

  function accessTokenCookie(req: SimRequest): string | undefined {
    const pairs = (header(req, 'cookie') ?? '').split(';').map((pair) => pair.trim().split('='));
    const value = pairs
      .find(([name]) => name === 'access_token')
      ?.slice(1)
      .join('=');
    return value === undefined || value === '' ? undefined : value;
  }

  function suivi(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.method !== 'GET' || !req.path.startsWith(LAPOSTE_PATHS.suivi)) return notFound();
    const who = caller(req, ctx);
    if (who === undefined) return unauthorized();
    if (!spend(who, ctx.now())) return quotaExceeded(quota);

    const raw = req.path.slice(LAPOSTE_PATHS.suivi.length);
    let list: string;
    try {
      list = decodeURIComponent(raw);
    } catch {
      list = raw;
    }
    const lang = req.query.get('lang') ?? 'fr_FR';
    // 400 is "Invalid request: missing parameter" ([LP-SUIVI] response400); its body for a bad
    // lang, a missing Accept or too many ids is UNVERIFIED: the response400 shape is used.
    if (!LANGS.has(lang)) return badRequest('fr_FR', list, `Unsupported lang: ${lang}`);
    // [LP-SUIVI] acceptH: required, enum application/json ("xml is deprecated").
    if (!(header(req, 'accept') ?? '').toLowerCase().includes('application/json')) {
      return badRequest(lang, list, 'The Accept header must be application/json.');
    }
    const ids = list.split(',');
    if (ids.length > LAPOSTE_MAX_IDSHIPS)
      return badRequest(lang, list, `At most ${LAPOSTE_MAX_IDSHIPS} idShips per call.`);
    // One malformed id fails the whole call (UNVERIFIED for multi-id calls).
    const malformed = ids.find((id) => !IDSHIP.test(id));
    if (malformed !== undefined) return badRequest(lang, malformed);

    const answers = ids.map((idShip) =>
      unknown.has(idShip)
        ? { returnCode: 104, returnMessage: UNKNOWN_IDSHIP_MESSAGE, idShip, lang, scope: 'open' }
        : tracked(idShip, lang, ctx.carrierNow()),
    );
    const found = answers.filter((answer) => answer.returnCode === 200).length;
    // One id: 200 with an array of one ([LP-SUIVI] 200 schema; [KAR-LP] fixture), or the 404
    // object. Several: 200 when all were found, else 207 with every unitary answer ([LP-SUIVI]
    // response207g); that several unknown ids also get 207, not 404, is UNVERIFIED.
    if (ids.length === 1 && found === 0) return json(404, answers[0]);
    return json(found === ids.length ? 200 : 207, answers);
  }

  function authorize(req: SimRequest, ctx: SimContext): SimResponse {
    const clientId = req.query.get('client_id');
    const redirectUri = req.query.get('redirect_uri');
    // RFC 6749 4.1.2.1: with a bad client or redirect URI, the user is told and NOT redirected.
    if (!clientId || !ctx.hasClient(clientId)) return invalidRequest('Unknown or missing client_id.');
    if (!redirectUri || !URL.canParse(redirectUri) || new URL(redirectUri).hash !== '') {
      // RFC 6749 3.1.2: an absolute URI without a fragment. No redirect URIs are registered with
      // the simulator, so any such URI is accepted (a real server compares with its registry).
      return invalidRequest('redirect_uri must be an absolute URI without a fragment.');
    }
    const target = new URL(redirectUri);
    const state = req.query.get('state');
    const back = (params: Record<string, string>): SimResponse => {
      for (const [name, value] of Object.entries(params)) target.searchParams.set(name, value);
      if (state !== null) target.searchParams.set('state', state);
      return { status: 302, headers: { Location: target.toString(), 'Cache-Control': 'no-store' } };
    };
    if (req.query.get('response_type') !== 'code') {
      return back({ error: 'unsupported_response_type', error_description: 'Use response_type=code.' });
    }
    const challenge = req.query.get('code_challenge');
    // This mode requires PKCE (RFC 7636 4.4.1: invalid_request when it is missing) and only S256:
    // without a method the client means "plain" (4.3), which is refused as unsupported (4.4.1).
    if (!challenge) return back({ error: 'invalid_request', error_description: 'code challenge required.' });
    if (req.query.get('code_challenge_method') !== 'S256') {
      return back({ error: 'invalid_request', error_description: 'transform algorithm not supported.' });
    }
    if (!PKCE_VALUE.test(challenge)) {
      return back({ error: 'invalid_request', error_description: 'Malformed code_challenge.' });
    }
    const scope = req.query.get('scope') ?? undefined;
    return back({ code: newAuthCode(clientId, redirectUri, challenge, ctx.now(), scope) });
  }

  function newAuthCode(
    clientId: string,
    redirectUri: string,
    codeChallenge: string,
    nowMs: number,
    scope?: string,
  ): string {
    const code = opaqueToken();
    authCodes.set(code, {
      clientId,
      redirectUri,
      codeChallenge,
      expiresAtMs: nowMs + AUTH_CODE_LIFETIME_MS,
      ...(scope !== undefined ? { scope } : {}),
    });
    return code;
  }

  function issue(ctx: SimContext, family: TokenFamily): SimResponse {
    const lifetime = ctx.faults.tokenLifetimeSeconds;
    const accessToken = opaqueToken();
    const now = ctx.now();
    ctx.recordAccess(accessToken, {
      clientId: family.clientId,
      issuedAtMs: now,
      expiresAtMs: now + lifetime * 1000,
      familyId: family.id,
      ...(family.scope !== undefined ? { scope: family.scope } : {}),
    });
    // RFC 6749 5.1; a new refresh token on every grant (OAuth 2.0 Security BCP 4.14.2 rotation).
    return json(
      200,
      {
        access_token: accessToken,
        token_type: 'Bearer',
        expires_in: lifetime,
        refresh_token: ctx.mintRefresh(family),
        ...(family.scope !== undefined ? { scope: family.scope } : {}),
      },
      NO_STORE,
    );
  }

  function token(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.method !== 'POST') return { ...invalidRequest('Use POST.'), status: 405 };
    // RFC 6749 3.2 / 4.1.3: application/x-www-form-urlencoded.
    if (!isFormContentType(req))
      return invalidRequest('Content-Type must be application/x-www-form-urlencoded.');
    const form = formOf(req);
    // client_secret_basic only (RFC 6749 2.3.1: servers MUST support it), form-url-decoded as 2.3.1 says.
    const basic = basicCredentials(req, true);
    if (basic && form.get('client_secret') !== null) {
      return invalidRequest('Use one client authentication method only.'); // RFC 6749 2.3
    }
    if (!basic || ctx.checkClient(basic.username, basic.password) !== 'ok') return invalidClient();
    const clientId = basic.username;
    switch (form.get('grant_type')) {
      case 'authorization_code':
        return exchangeCode(form, clientId, ctx);
      case 'refresh_token': {
        const presented = form.get('refresh_token');
        if (!presented) return invalidRequest('Missing refresh_token.');
        // Single use: a second presentation revokes every token of the family (kit, RFC 9700 4.14.2).
        const redeemed = ctx.redeemRefresh(presented, clientId);
        if (!redeemed.ok) {
          return invalidGrant(
            redeemed.reason === 'reused'
              ? 'Refresh token was already used; every token of its grant is revoked.'
              : `Invalid refresh token (${redeemed.reason}).`,
          );
        }
        return issue(ctx, redeemed.family);
      }
      case null:
      case '':
        return invalidRequest('Missing grant_type.');
      default:
        return oauthError(400, 'unsupported_grant_type', 'The grant type is not supported.');
    }
  }

  /** RFC 6749 4.1.3 with RFC 7636 4.5/4.6: code, redirect_uri and code_verifier. */
  function exchangeCode(form: URLSearchParams, clientId: string, ctx: SimContext): SimResponse {
    const code = form.get('code');
    const redirectUri = form.get('redirect_uri');
    const verifier = form.get('code_verifier');
    if (!code || !redirectUri || !verifier)
      return invalidRequest('Missing code, redirect_uri or code_verifier.');
    if (!PKCE_VALUE.test(verifier)) return invalidRequest('Malformed code_verifier.');
    const grant = authCodes.get(code);
    if (!grant) return invalidGrant('Unknown authorization code.');
    if (grant.familyId !== undefined) {
      // RFC 6749 4.1.2: a code used twice SHOULD revoke every token issued from it.
      const family = ctx.tokens.family(grant.familyId);
      if (family) family.revoked = true;
      return invalidGrant('Authorization code was already used; its tokens are revoked.');
    }
    // RFC 6749 5.2 invalid_grant: expired, issued to another client, or another redirect URI.
    if (grant.clientId !== clientId || ctx.now() >= grant.expiresAtMs || grant.redirectUri !== redirectUri) {
      authCodes.delete(code);
      return invalidGrant('Invalid authorization code.');
    }
    if (s256(verifier) !== grant.codeChallenge) {
      // RFC 7636 4.6: invalid_grant. The code is spent too, so it cannot be used to guess verifiers.
      authCodes.delete(code);
      return invalidGrant('code_verifier does not match the code_challenge.');
    }
    const family = ctx.newFamily(clientId, grant.scope !== undefined ? { scope: grant.scope } : {});
    grant.familyId = family.id;
    return issue(ctx, family);
  }

  function route(req: SimRequest, ctx: SimContext): SimResponse {
    if (req.path.startsWith('/suivi/')) return suivi(req, ctx);
    if (oauth && req.path === LAPOSTE_PATHS.token) return token(req, ctx);
    if (oauth && req.path === LAPOSTE_PATHS.authorize && req.method === 'GET') return authorize(req, ctx);
    return notFound();
  }

  const definition: CarrierDefinition = {
    defaults: LAPOSTE_DEFAULT_FAULTS,
    refreshTokenLifetimeSeconds: oauth ? LAPOSTE_OAUTH_REFRESH_TOKEN_LIFETIME_SECONDS : null,
    // Token faults (throttle, 5xx, 200-with-error, latency) apply to /oauth/token in OAuth mode.
    isTokenPath: (path) => oauth && path === LAPOSTE_PATHS.token,
    isApiPath: (path) => path.startsWith('/suivi/'),
    clientIdOf: (req) => basicCredentials(req, true)?.username ?? formOf(req).get('client_id') ?? undefined,
    // The token endpoint would sit behind the same Okapi gateway (Digiposte's is on api.laposte.fr,
    // [LP-DIGI]), so its quota answer is the Okapi one ([KAR-LP]); UNVERIFIED for /oauth/token.
    throttled: (_req, retryAfter) => quotaExceeded(quota, retryAfter),
    // RFC 6749 4.1.2.1 codes, commonly reused by token endpoints; La Poste's own are UNVERIFIED.
    serverError: (_req, status) =>
      status === 500
        ? oauthError(500, 'server_error', 'The authorization server encountered an unexpected condition.')
        : oauthError(503, 'temporarily_unavailable', 'The authorization server is temporarily unavailable.'),
    errorInSuccessBody: () => oauthError(200, 'invalid_client', 'Client authentication failed.'),
    handle: route,
  };

  const sim = await startSimulator(definition, options);
  keys.follow(sim);
  return Object.assign(sim, {
    issueAuthorizationCode(clientId: string, redirectUri: string, codeChallenge: string): string {
      if (!oauth) throw new Error('the OAuth mode is off (start with oauth: true)');
      if (!PKCE_VALUE.test(codeChallenge)) throw new Error('malformed code_challenge');
      return newAuthCode(clientId, redirectUri, codeChallenge, (options.clock ?? Date.now)());
    },
  });
}
