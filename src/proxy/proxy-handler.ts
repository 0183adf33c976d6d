/**
 * @module proxy/proxy-handler
 * `ANY /v1/carriers/{accountId}/{path}`: the pass-through data path. It runs on the raw
 * node:http request, not through hono, because this is the gateway's hot path (see
 * docs/benchmarks.md): authenticate the client, take the account's token from memory, forward
 * to the account's API base over a keep-alive undici Pool bound to that origin, and stream the
 * answer back. When the carrier rejects the token, the token is invalidated and an idempotent,
 * bodiless request is retried once with a fresh one.
 *
 * Paths that need a dependent token (USPS labels: `X-Payment-Authorization-Token`) get it
 * injected. When the carrier data identifies a rejection as the dependent token's (a 401 without
 * the Bearer challenge), only that token is dropped, never the access token, and the request is
 * retried once if that is safe: an idempotent method, or an `X-Idempotency-Key` (USPS returns the
 * same label for the same key, domestic-labels.yaml), with the body buffered for the replay.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Writable } from 'node:stream';

import { Pool, type Dispatcher } from 'undici';

import type { ConfiguredAccount } from '../core/account.js';
import type { DependentToken } from '../auth/dependent-token.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { StoredToken } from '../auth/token-store.js';
import type { AuthenticatedClient, ClientRegistry } from '../http/clients.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import { classifyApiAnswer, classifyError } from '../core/failures.js';
import type { HealthRecorder } from '../health/recorder.js';
import { sendProblem } from '../http/problem.js';
import type { Logger } from '../platform/log.js';
import { hasChallenge } from '../upstream/rejection.js';

export const PROXY_PREFIX = '/v1/carriers/';

/** RFC 9110 7.6.1 hop-by-hop fields, plus what must not cross the gateway in either direction. */
const REQUEST_HEADERS_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  // The client's gateway key is not the carrier's business.
  'authorization',
  'cookie',
  // The 100-continue expectation is between the client and the gateway, and node:http has met
  // it; undici refuses to send it on (UND_ERR_NOT_SUPPORTED).
  'expect',
  // Forwarding information from the client would be forged in the gateway's name.
  'forwarded',
  'via',
  'x-real-ip',
  'true-client-ip',
]);

const RESPONSE_HEADERS_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'set-cookie',
]);

/** RFC 9110 9.2.2. */
const IDEMPOTENT_METHODS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'PUT', 'TRACE']);

/** A path segment that could climb out of the API base, or smuggle a separator past it. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what it must catch
const FORBIDDEN_PATH = /(^|\/)(\.|%2e){1,2}(\/|$)|%2f|%5c|\\|%00|[\x00-\x1f\x7f]/i;

interface Target {
  account: ConfiguredAccount;
  pool: Pool;
  basePath: string;
}

export interface ProxyOptions {
  accounts: ConfiguredAccount[];
  engine: TokenEngine;
  clients: ClientRegistry;
  log: Logger;
  /** Connections per carrier origin. */
  connections?: number;
  /** Health history: every answer passed through, classified by status (no body is read). */
  health?: HealthRecorder;
  /** Told when a connection authenticates a client (the new-network alert). */
  alerts?: { clientKeyUsed(clientId: string, remoteAddress: string | undefined): void };
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

/** Names a `Connection` field lists are hop-by-hop too (RFC 9110 7.6.1), in either direction. */
function connectionListed(value: string | string[] | undefined): Set<string> | null {
  // The usual values name no header; skip building a set for them on the hot path.
  if (value === undefined || value === 'keep-alive' || value === 'close') return null;
  const names = (Array.isArray(value) ? value.join(',') : value).split(',');
  return new Set(names.map((name) => name.trim().toLowerCase()));
}

/** Sets the header carrying the carrier credential: a Bearer token, or the account's static header. */
function withCredential(
  headers: Record<string, string | string[]>,
  account: ConfiguredAccount,
  token: StoredToken,
): Record<string, string | string[]> {
  if (account.kind === 'static') headers[account.staticCredential.header] = token.accessToken;
  else headers.authorization = `Bearer ${token.accessToken}`;
  return headers;
}

/** What a single send ended in: passed through, or held back for a retry because a token was rejected. */
type SendOutcome = 'done' | 'token-rejected' | 'dependent-rejected';

/** The dependent token on one request: where it goes, what it is, and how its rejection looks. */
interface DependentUse {
  dependent: DependentToken;
  header: string;
  value: string;
}

/** A body held in memory for a replay is bounded; label requests are a few kilobytes. */
export const REPLAY_BODY_LIMIT_BYTES = 1024 * 1024;

async function readBody(req: IncomingMessage, account: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > REPLAY_BODY_LIMIT_BYTES) {
      throw new GatewayError('ERR_BODY_TOO_LARGE', undefined, {
        account,
        detail: `a request that may be replayed is held in memory, up to ${REPLAY_BODY_LIMIT_BYTES} bytes`,
      });
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

const discard = () =>
  new Writable({
    write(_chunk, _encoding, callback) {
      callback();
    },
  });

export class CarrierProxy {
  readonly #targets = new Map<string, Target>();
  readonly #pools = new Map<string, Pool>();
  readonly #connections = new WeakMap<Socket, { header: string; client: AuthenticatedClient }>();

  constructor(private readonly options: ProxyOptions) {
    for (const account of options.accounts) {
      const origin = account.api.baseUrl.origin;
      let pool = this.#pools.get(origin);
      if (!pool) {
        pool = new Pool(origin, { connections: options.connections ?? 64, keepAliveTimeout: 30_000 });
        this.#pools.set(origin, pool);
      }
      const basePath = account.api.baseUrl.pathname.replace(/\/$/, '');
      this.#targets.set(account.id, { account, pool, basePath });
    }
  }

  /**
   * The client behind this keep-alive connection. A connection that sends the same Authorization
   * value again is the same client, so the digest and compare run once per connection, not per
   * request; the comparison is against what this connection itself sent, so it reveals nothing.
   */
  #authenticate(req: IncomingMessage): AuthenticatedClient {
    const header = req.headers.authorization;
    const known = this.#connections.get(req.socket);
    if (known !== undefined && header !== undefined && known.header === header) return known.client;
    const client = this.options.clients.authenticate(header);
    this.#connections.set(req.socket, { header: header!, client });
    // Once per connection and key, not per request: cheap enough for the hot path.
    this.options.alerts?.clientKeyUsed(client.id, req.socket.remoteAddress);
    return client;
  }

  /** Handles a request whose URL starts with PROXY_PREFIX. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#forward(req, res).catch((error: unknown) => {
      // Failures before the carrier call (no token: lock timeout, Redis, consent needed, cooldown)
      // count in the account's health too; the carrier call's own failures are recorded in #send.
      if (isGatewayError(error) && error.account !== undefined && !error.code.startsWith('ERR_CARRIER_')) {
        const failureClass = classifyError(error.code, error.detail);
        if (failureClass !== 'gateway.internal' && this.#targets.has(error.account)) {
          this.options.health?.record({ account: error.account, source: 'api', ok: false, failureClass });
        }
      }
      if (!isGatewayError(error)) {
        this.options.log.error({ err: { message: (error as Error)?.message } }, 'proxy failure');
      }
      sendProblem(res, error);
    });
  }

  async #forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '';
    const rest = url.slice(PROXY_PREFIX.length);
    const slash = rest.indexOf('/');
    const accountId = slash === -1 ? rest.split('?')[0]! : rest.slice(0, slash);
    const pathAndQuery = slash === -1 ? '' : rest.slice(slash);

    const client = this.#authenticate(req);
    const target = this.#targets.get(accountId);
    this.options.clients.authorize(client, accountId, target !== undefined);
    const { account, pool, basePath } = target!;

    const queryAt = pathAndQuery.search(/[?#]/);
    const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
    // A fragment never belongs in a request target (RFC 9112 3.2), and `/..#x` reads as `/..`
    // to the carrier's URL parser.
    if (path === '' || FORBIDDEN_PATH.test(path) || pathAndQuery.includes('#')) {
      throw new GatewayError('ERR_PATH_REJECTED', undefined, {
        account: accountId,
        detail:
          'the path must be non-empty with no dot segments, encoded slashes, fragments or control characters',
      });
    }
    const upstreamPath = basePath + pathAndQuery;

    const method = req.method ?? 'GET';
    const headers: Record<string, string | string[]> = {};
    const listed = connectionListed(req.headers.connection);
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || REQUEST_HEADERS_DROPPED.has(name) || listed?.has(name)) continue;
      if (name.startsWith('x-forwarded-')) continue;
      headers[name] = value;
    }
    account.descriptor.decorateApiRequest?.({
      method,
      path: upstreamPath,
      headers: headers as Record<string, string>,
    });

    const manager = this.options.engine.manager(accountId);
    const withBody = hasBody(req);
    // Static credentials cannot be replaced by a fresh copy, so a rejection is never retried.
    const retryable = account.kind === 'oauth' && IDEMPOTENT_METHODS.has(method) && !withBody;
    const token = manager.peek() ?? (await manager.getToken());

    let dependent = account.kind === 'oauth' ? this.options.engine.dependentFor(accountId, path) : undefined;
    // An account without the configuration keeps the behaviour it had: a client that obtained the
    // token itself (through this proxy) still sends it as it is; only a call with neither fails.
    if (
      dependent?.configured === false &&
      req.headers[dependent.profile.data.header.toLowerCase()] !== undefined
    )
      dependent = undefined;
    let use: DependentUse | undefined;
    let body: IncomingMessage | Buffer | null = withBody ? req : null;
    let dependentRetryable = false;
    if (dependent !== undefined) {
      const value = (dependent.peek(token) ?? (await dependent.get(token))).accessToken;
      use = { dependent, header: dependent.profile.data.header.toLowerCase(), value };
      // A replay is safe when the method is idempotent or the carrier deduplicates by key.
      dependentRetryable = IDEMPOTENT_METHODS.has(method) || req.headers['x-idempotency-key'] !== undefined;
      // Buffered so the one retry can send it again (label requests are small JSON documents).
      if (dependentRetryable && withBody) body = await readBody(req, accountId);
    }

    const send = (
      credential: StoredToken,
      value: string | undefined,
      hold: boolean,
      holdDependent: boolean,
    ) =>
      this.#send(pool, account, res, method, upstreamPath, headers, credential, body, {
        hold,
        holdDependent,
        ...(use !== undefined && value !== undefined ? { use: { ...use, value } } : {}),
      });

    const outcome = await send(token, use?.value, retryable, dependentRetryable);
    if (outcome === 'done') return;
    if (outcome === 'dependent-rejected') {
      // Only the dependent token goes; the access token was accepted.
      const fresh = await use!.dependent.invalidate(use!.value, token);
      await send(token, fresh.accessToken, false, false);
      return;
    }
    // The carrier refused the token: drop it fleet-wide and try once more with a fresh one.
    const fresh = await manager.invalidate(token.accessToken);
    const value = use
      ? (use.dependent.peek(fresh) ?? (await use.dependent.get(fresh))).accessToken
      : undefined;
    await send(fresh, value, false, false);
  }

  /** Sends once; reports a token rejection whose answer was held back for a retry. */
  async #send(
    pool: Pool,
    account: ConfiguredAccount,
    res: ServerResponse,
    method: string,
    path: string,
    headers: Record<string, string | string[]>,
    token: StoredToken,
    body: IncomingMessage | Buffer | null,
    mode: { hold: boolean; holdDependent: boolean; use?: DependentUse },
  ): Promise<SendOutcome> {
    const sentAt = performance.now();
    let outcome: SendOutcome = 'done';
    const rejectedStatuses = account.api.tokenRejectedStatuses;
    const use = mode.use;
    const rejection = use?.dependent.profile.data.rejection;
    const outgoing = withCredential(headers, account, token);
    if (use !== undefined) outgoing[use.header] = use.value;
    try {
      await pool.stream(
        {
          path,
          method: method as Dispatcher.HttpMethod,
          headers: outgoing,
          body,
          // Per request: accounts sharing an origin share a Pool but not their timeouts.
          headersTimeout: account.api.timeoutMs,
          bodyTimeout: account.api.timeoutMs,
        },
        ({ statusCode, headers: upstreamHeaders }) => {
          if (
            use !== undefined &&
            rejection !== undefined &&
            rejection.statuses.includes(statusCode) &&
            !hasChallenge(upstreamHeaders['www-authenticate'], rejection.notChallenge)
          ) {
            // The access token was accepted; the dependent token was not.
            if (mode.holdDependent) {
              outcome = 'dependent-rejected';
              return discard();
            }
            use.dependent.invalidate(use.value, token).catch(() => {});
          } else if (rejectedStatuses.includes(statusCode)) {
            if (mode.hold) {
              outcome = 'token-rejected';
              return discard();
            }
            // Not retried (a body was sent or the method is not idempotent): the next request gets a fresh token.
            this.options.engine
              .manager(account.id)
              .invalidate(token.accessToken)
              .catch(() => {});
          }
          const out: Record<string, string | string[]> = {};
          const listed = connectionListed(upstreamHeaders.connection);
          for (const [name, value] of Object.entries(upstreamHeaders)) {
            if (value === undefined || RESPONSE_HEADERS_DROPPED.has(name) || listed?.has(name)) continue;
            out[name] = value;
          }
          this.#observe(account, statusCode, token, performance.now() - sentAt);
          res.writeHead(statusCode, out);
          return res;
        },
      );
    } catch (cause) {
      const error = this.#transportError(account.id, cause);
      this.options.health?.record({
        account: account.id,
        source: 'api',
        ok: false,
        failureClass: classifyError(error.code, error.detail),
      });
      throw error;
    }
    return outcome;
  }

  #observe(account: ConfiguredAccount, status: number, token: StoredToken, latencyMs: number): void {
    const health = this.options.health;
    if (!health) return;
    const failureClass = classifyApiAnswer({
      status,
      tokenRejectedStatuses: account.api.tokenRejectedStatuses,
      ...(account.kind === 'oauth'
        ? { tokenAgeMs: Date.now() - token.obtainedAt, tokenLifetimeMs: token.expiresAt - token.obtainedAt }
        : {}),
    });
    health.record(
      failureClass === null
        ? { account: account.id, source: 'api', ok: true, status, latencyMs }
        : { account: account.id, source: 'api', ok: false, failureClass, status, latencyMs },
    );
  }

  #transportError(account: string, cause: unknown): GatewayError {
    if (isGatewayError(cause)) return cause;
    const code = (cause as { code?: string } | null)?.code ?? '';
    if (
      code === 'UND_ERR_HEADERS_TIMEOUT' ||
      code === 'UND_ERR_BODY_TIMEOUT' ||
      code === 'UND_ERR_CONNECT_TIMEOUT'
    ) {
      return new GatewayError('ERR_CARRIER_TIMEOUT', undefined, { account, cause, detail: code });
    }
    return new GatewayError('ERR_CARRIER_UNREACHABLE', undefined, {
      account,
      cause,
      detail: code || 'connection failed',
    });
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
  }
}
