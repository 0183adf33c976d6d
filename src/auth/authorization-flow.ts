/**
 * @module auth/authorization-flow
 * Onboarding of authorization-code accounts (RFC 6749 4.1) with PKCE where the carrier has it
 * (RFC 7636): `begin` builds the carrier's authorization URL and keeps it, with the request's
 * `state` and code verifier, behind a one-time start link; `open` (the operator's browser opening
 * that link) binds the state to that browser with a cookie holding a random nonce (only its hash
 * is kept) and sends it to the carrier; `complete` takes the state back exactly once, checks the
 * callback and the cookie, and has the account's TokenManager exchange the code and store the
 * tokens under its lock. The binding (issue 12, point 9; RFC 9700 4.7.1) makes a callback
 * carrying someone else's code useless unless it comes from the browser that started the flow.
 *
 * Every way a callback can be wrong has its own error code, and none of them changes the
 * account's tokens: an unknown, used or expired state, a callback on another redirect URI, a
 * denied consent, a code the carrier refuses. State, code and verifier are never logged.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

import type { Logger } from 'pino';

import {
  OAUTH_CALLBACK_PATH,
  OAUTH_START_PATH,
  type AuthorizationProfile,
  type ConfiguredAccount,
  type ResolvedAccount,
} from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import type { AuthenticatedAdmin } from '../http/admins.js';
import { GatewayError, isGatewayError, type GatewayErrorCode } from '../core/errors.js';
import type { TokenEngine } from './token-engine.js';
import type { PendingAuthorization } from './token-store.js';

/** How long an operator has between starting the flow and the carrier's redirect back. */
export const AUTHORIZATION_STATE_TTL_MS = 10 * 60_000;
/** An expired state is kept this much longer, so a late callback hears "expired", not "unknown". */
const EXPIRED_STATE_RETENTION_MS = 60 * 60_000;

/** RFC 7636 4.1: 32 random octets, base64url-encoded, give a 43-character verifier. */
export function newCodeVerifier(): string {
  return randomBytes(32).toString('base64url');
}

/** RFC 7636 4.2: code_challenge = BASE64URL(SHA256(ASCII(code_verifier))) for method S256. */
export function s256Challenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** The parameters of RFC 6749 4.1.2 and 4.1.2.1 that the callback reads; none may repeat (3.1). */
const CALLBACK_PARAMS = ['state', 'code', 'error', 'error_description', 'error_uri', 'iss'] as const;

export interface CallbackRequest {
  /** Every value of every query parameter. */
  query: Record<string, string[]>;
  /** The URL the callback arrived on, as this gateway saw it (its Host header and path). */
  url: URL;
  /** A cookie the browser sent, by name. */
  cookie: (name: string) => string | undefined;
}

/** The cookie that binds a state to the browser that opened the start link. */
export interface BrowserCookie {
  name: string;
  value: string;
  /** The callback's path: the cookie goes nowhere else. */
  path: string;
  /** With an https redirect URI. */
  secure: boolean;
  maxAgeSeconds: number;
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/**
 * One cookie per state, so two authorizations started in one browser do not overwrite each
 * other's; the name shows a digest of the state, never the state.
 */
export const browserCookieName = (state: string) => `cg_oauth_${digest(state).slice(0, 16)}`;

/** The start link's record is stored apart from the states'. */
const startKey = (ticket: string) => `start:${ticket}`;

export interface AuthorizationResult {
  account: string;
  generation: number;
  expiresAt: number;
  /** Whether the carrier sent a refresh token (RFC 6749 4.1.4 makes it optional). */
  refreshToken: boolean;
  /** The admin key id that started the authorization (for the audit log). */
  startedBy: string;
}

export interface AuthorizationFlowOptions {
  accounts: readonly ConfiguredAccount[];
  engine: TokenEngine;
  log: Logger;
  stateTtlMs?: number;
  now?: () => number;
}

/** An RFC 6749 `error` value is ASCII %x20-21 / %x23-5B / %x5D-7E; anything else is not passed on. */
function sanitizeErrorValue(value: string): string {
  return /^[\x20\x21\x23-\x5b\x5d-\x7e]{1,64}$/.test(value) ? value : 'malformed';
}

export class AuthorizationFlow {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  readonly #engine: TokenEngine;
  readonly #log: Logger;
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: AuthorizationFlowOptions) {
    this.#accounts = accountsById(options.accounts);
    this.#engine = options.engine;
    this.#log = options.log;
    this.#ttlMs = options.stateTtlMs ?? AUTHORIZATION_STATE_TTL_MS;
    this.#now = options.now ?? Date.now;
  }

  /** The issuer the account expects (`token.expectedIssuer`), checked against RFC 9207 `iss`. */
  #jwtIssuer(accountId: string): string | undefined {
    const account = this.#accounts.get(accountId);
    return account?.kind === 'oauth' ? account.jwt.issuer : undefined;
  }

  #onboardable(accountId: string): ResolvedAccount & { authorization: AuthorizationProfile } {
    const account = this.#accounts.get(accountId);
    if (account === undefined) {
      throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: accountId });
    }
    if (account.kind !== 'oauth' || account.authorization === undefined) {
      const why =
        account.kind !== 'oauth'
          ? 'the account uses static credentials'
          : account.token.grant !== 'authorization_code'
            ? `the account's grant is ${account.token.grant}, not authorization_code`
            : 'the account has no redirect URI (authorization.redirectUri or a top-level publicUrl)';
      throw new GatewayError('ERR_AUTHORIZATION_NOT_CONFIGURED', undefined, {
        account: accountId,
        detail: why,
      });
    }
    return account as ResolvedAccount & { authorization: AuthorizationProfile };
  }

  /**
   * Starts an authorization: builds the carrier's authorization URL (RFC 6749 4.1.1), keeps it
   * with the state (and verifier) behind a one-time ticket, and returns the start link for the
   * operator's browser (next to the redirect URI, so on the host the callback comes back to).
   */
  async begin(accountId: string, admin: AuthenticatedAdmin): Promise<string> {
    const account = this.#onboardable(accountId);
    const profile = account.authorization;
    // RFC 6749 10.10 / 10.12: an unguessable state binds the callback to this request.
    const state = randomBytes(32).toString('base64url');
    const now = this.#now();
    const pending: PendingAuthorization = {
      account: account.id,
      redirectUri: profile.redirectUri,
      startedBy: admin.id,
      createdAt: now,
      expiresAt: now + this.#ttlMs,
    };
    const url = new URL(profile.authorizeUrl);
    const query = url.searchParams;
    query.set('response_type', 'code');
    query.set('client_id', account.credentials.clientId);
    query.set('redirect_uri', profile.redirectUri);
    if (profile.scope !== undefined) query.set('scope', profile.scope);
    query.set('state', state);
    for (const [name, value] of Object.entries(profile.params)) query.set(name, value);
    if (profile.pkce) {
      pending.codeVerifier = newCodeVerifier();
      query.set('code_challenge', s256Challenge(pending.codeVerifier));
      // RFC 7636 4.3. UPS documents only code_challenge (OAuthAuthCode.yaml) and S256 is the only
      // transform it describes, so naming the method is consistent with it.
      query.set('code_challenge_method', 'S256');
    }
    const ticket = randomBytes(32).toString('base64url');
    await this.#engine.store.saveAuthorization(
      startKey(ticket),
      { ...pending, state, authorizeUrl: url.toString() },
      this.#ttlMs + EXPIRED_STATE_RETENTION_MS,
    );
    this.#log.info(
      { account: account.id, admin: admin.id, pkce: profile.pkce, expiresInSeconds: this.#ttlMs / 1000 },
      'authorization started',
    );
    const start = new URL(profile.redirectUri);
    start.pathname = start.pathname.slice(0, -OAUTH_CALLBACK_PATH.length) + OAUTH_START_PATH;
    start.search = '';
    start.searchParams.set('ticket', ticket);
    return start.toString();
  }

  /**
   * The operator's browser opens the start link: the ticket is taken (once, fleet-wide), the
   * state is stored with the hash of a fresh nonce, and the answer is the carrier's URL and the
   * cookie holding the nonce.
   */
  async open(ticket: string | undefined): Promise<{ location: string; cookie: BrowserCookie }> {
    const record =
      ticket === undefined || ticket === ''
        ? null
        : await this.#engine.store.takeAuthorization(startKey(ticket));
    if (record === null || record.state === undefined || record.authorizeUrl === undefined) {
      throw new GatewayError('ERR_OAUTH_STATE_INVALID', undefined, {
        detail: 'this start link is unknown or was already opened; start the authorization again',
      });
    }
    const { state, authorizeUrl, ...pending } = record;
    const now = this.#now();
    if (now >= pending.expiresAt) {
      throw new GatewayError('ERR_OAUTH_STATE_EXPIRED', undefined, {
        account: pending.account,
        detail: `the authorization was started more than ${Math.round(this.#ttlMs / 60_000)} minutes ago; start it again`,
      });
    }
    const nonce = randomBytes(32).toString('base64url');
    await this.#engine.store.saveAuthorization(
      state,
      { ...pending, browserBinding: digest(nonce) },
      pending.expiresAt - now + EXPIRED_STATE_RETENTION_MS,
    );
    const redirect = new URL(pending.redirectUri);
    return {
      location: authorizeUrl,
      cookie: {
        name: browserCookieName(state),
        value: nonce,
        path: redirect.pathname,
        secure: redirect.protocol === 'https:',
        maxAgeSeconds: Math.max(1, Math.ceil((pending.expiresAt - now) / 1000)),
      },
    };
  }

  /** Handles the redirect back from the carrier (RFC 6749 4.1.2). */
  async complete(callback: CallbackRequest): Promise<AuthorizationResult> {
    for (const name of CALLBACK_PARAMS) {
      if ((callback.query[name]?.length ?? 0) > 1) {
        // RFC 6749 3.1: parameters MUST NOT be included more than once. Nothing is consumed.
        throw new GatewayError('ERR_OAUTH_CALLBACK_INVALID', undefined, {
          detail: `repeated parameter ${name}`,
        });
      }
    }
    const param = (name: (typeof CALLBACK_PARAMS)[number]) => callback.query[name]?.[0];
    const state = param('state');
    if (state === undefined || state === '') {
      throw new GatewayError('ERR_OAUTH_STATE_INVALID', undefined, {
        detail: 'the callback carries no state',
      });
    }
    const pending = await this.#engine.store.takeAuthorization(state);
    if (pending === null) {
      this.#log.warn('authorization callback with an unknown or already used state');
      throw new GatewayError('ERR_OAUTH_STATE_INVALID', undefined, {
        detail: 'no authorization is waiting for this state: unknown, or already used',
      });
    }
    const id = pending.account;
    const fail = (code: GatewayErrorCode, detail: string, extra: { carrierCode?: string } = {}) => {
      this.#log.warn({ account: id, code, ...extra }, 'authorization callback refused');
      return new GatewayError(code, undefined, { account: id, detail, ...extra });
    };
    if (this.#now() >= pending.expiresAt) {
      throw fail(
        'ERR_OAUTH_STATE_EXPIRED',
        `the authorization was started more than ${Math.round(this.#ttlMs / 60_000)} minutes ago; start it again`,
      );
    }
    // Issue 12, point 9: only the browser that opened the start link holds the nonce.
    const nonce = callback.cookie(browserCookieName(state));
    if (
      pending.browserBinding === undefined ||
      nonce === undefined ||
      !sameDigest(nonce, pending.browserBinding)
    ) {
      throw fail(
        'ERR_OAUTH_BROWSER_MISMATCH',
        nonce === undefined
          ? 'the callback came without the cookie the start link set: open the start link and consent in the same browser'
          : "the callback's cookie does not match the one the start link set",
      );
    }
    const mismatch = redirectMismatch(pending.redirectUri, callback.url);
    if (mismatch !== null) throw fail('ERR_OAUTH_REDIRECT_URI_MISMATCH', mismatch);

    const issuer = param('iss');
    const expectedIssuer = this.#jwtIssuer(id);
    if (issuer !== undefined && expectedIssuer !== undefined && issuer !== expectedIssuer) {
      // RFC 9207 2.4: a response naming another issuer may come from a mix-up attack; it is not
      // processed, errors included.
      throw fail(
        'ERR_OAUTH_CALLBACK_INVALID',
        'the callback names another issuer (iss) than the account expects',
      );
    }

    const error = param('error');
    if (error !== undefined) {
      const carrierCode = sanitizeErrorValue(error);
      // RFC 6749 4.1.2.1: access_denied is the resource owner (or the carrier) saying no.
      if (carrierCode === 'access_denied') {
        throw fail('ERR_OAUTH_ACCESS_DENIED', 'consent was denied at the carrier; no tokens were stored', {
          carrierCode,
        });
      }
      throw fail(
        'ERR_OAUTH_AUTHORIZATION_FAILED',
        'the carrier answered the authorization request with an error',
        {
          carrierCode,
        },
      );
    }
    const code = param('code');
    if (code === undefined || code === '') {
      throw fail('ERR_OAUTH_CALLBACK_INVALID', 'the callback carries neither code nor error');
    }

    const account = this.#onboardable(id);
    const manager = this.#engine.tokenManager(id);
    if (manager === undefined) throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: id });
    try {
      const token = await manager.completeAuthorization({
        kind: 'code',
        code,
        redirectUri: pending.redirectUri,
        ...(pending.codeVerifier !== undefined ? { codeVerifier: pending.codeVerifier } : {}),
      });
      this.#log.info(
        { account: id, admin: pending.startedBy, generation: token.generation },
        'authorization completed',
      );
      return {
        account: id,
        generation: token.generation,
        expiresAt: token.expiresAt,
        refreshToken: token.refreshToken !== undefined,
        startedBy: pending.startedBy,
      };
    } catch (failure) {
      const mapped = codeExchangeFailure(account, failure);
      if (isGatewayError(mapped)) {
        this.#log.warn(
          {
            account: id,
            code: mapped.code,
            carrierCode: mapped.carrierCode,
            upstreamStatus: mapped.upstreamStatus,
          },
          'authorization code exchange failed',
        );
      }
      throw mapped;
    }
  }
}

/** Compares a nonce's digest with a stored one in constant time. */
function sameDigest(nonce: string, stored: string): boolean {
  const seen = Buffer.from(digest(nonce));
  const expected = Buffer.from(stored);
  return seen.length === expected.length && timingSafeEqual(seen, expected);
}

/**
 * Null when the callback arrived where the authorization said it would, else why not. The path
 * is this route's by construction (the redirect URI must end with OAUTH_CALLBACK_PATH, a reverse
 * proxy may prefix it), so what can differ is the host, and any query parameter the registered
 * redirect URI carries (RFC 6749 3.1.2 allows one). The Host header is what the gateway sees, so a
 * reverse proxy in front must pass it through.
 */
function redirectMismatch(registered: string, arrived: URL): string | null {
  const expected = new URL(registered);
  // A port is compared only when both sides name one: a proxy may drop or add a default port.
  const portsDiffer = expected.port !== '' && arrived.port !== '' && expected.port !== arrived.port;
  if (expected.hostname !== arrived.hostname || portsDiffer) {
    return `the callback arrived on host ${arrived.host}; the authorization was started with redirect URI host ${expected.host}`;
  }
  if (!expected.pathname.endsWith(arrived.pathname) || arrived.pathname !== OAUTH_CALLBACK_PATH) {
    return `the callback arrived on path ${arrived.pathname}`;
  }
  for (const [name, value] of expected.searchParams) {
    if (arrived.searchParams.get(name) !== value) {
      return `the callback lacks the redirect URI's query parameter ${name}`;
    }
  }
  return null;
}

/**
 * A refused code exchange in the onboarding vocabulary: what the carrier's code means for the
 * code (its descriptor says: carriers/<carrier>/auth.ts `codeExchangeErrors`), and RFC 6749 5.2
 * `invalid_grant` for the rest. Throttling, 5xx, unreachable and credential errors keep their
 * token-endpoint codes.
 */
function codeExchangeFailure(
  account: ResolvedAccount & { authorization: AuthorizationProfile },
  error: unknown,
) {
  if (!isGatewayError(error)) return error;
  const status = error.upstreamStatus;
  if (status === undefined || status === 429 || status >= 500) return error;
  const known =
    error.carrierCode === undefined ? undefined : account.authorization.codeExchangeErrors[error.carrierCode];
  if (known === undefined && error.code !== 'ERR_TOKEN_INVALID_GRANT') return error;
  const code: GatewayErrorCode =
    known?.outcome === 'redirect_uri_mismatch'
      ? 'ERR_OAUTH_REDIRECT_URI_MISMATCH'
      : 'ERR_OAUTH_CODE_REJECTED';
  const detail =
    known?.note ??
    (code === 'ERR_OAUTH_CODE_REJECTED'
      ? 'the carrier refused the code: already used, expired, or issued for another client or redirect URI; start the authorization again'
      : 'the carrier refused the redirect URI at the code exchange');
  return new GatewayError(code, undefined, {
    account: account.id,
    upstreamStatus: status,
    ...(error.carrierCode !== undefined ? { carrierCode: error.carrierCode } : {}),
    detail,
    cause: error,
  });
}
