/**
 * @module proxy/proxy-handler
 * `ANY /v1/carriers/{accountId}/{path}`: the pass-through. It runs on the raw node:http request,
 * not through hono, because this is the gateway's hot path (see docs/benchmarks.md): authenticate
 * the client, check the path, keep the client's headers that may cross, and hand the call to the
 * one carrier path (src/upstream/carrier-api.ts) in streaming mode, with its answer written
 * straight into the client's response. What this module decides is only what is particular to a
 * pass-through: a refused token is renewed and the call repeated once only when that is safe (an
 * idempotent, bodiless request; for a dependent token, an idempotent method or an
 * `X-Idempotency-Key`, which USPS deduplicates by, domestic-labels.yaml), and a failure becomes
 * the client's problem+json.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Transform, type Readable } from 'node:stream';

import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { HEADERS_EVERY_CARRIER_TAKES } from '../core/carrier.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import type { AuthenticatedClient, ClientRegistry } from '../http/clients.js';
import { sendProblem } from '../http/problem.js';
import { traceOf } from '../http/request-trace.js';
import type { Logger } from '../platform/log.js';
import type { CallTrace, CarrierApi } from '../upstream/carrier-api.js';
import { ClientSlots } from './client-slots.js';

export const PROXY_PREFIX = '/v1/carriers/';
/** The route as the access log and the OpenAPI document name it. */
export const PROXY_ROUTE = '/v1/carriers/{accountId}/{path}';

/**
 * Issue 12, point 7: the client headers that reach a carrier are an allow-list, the
 * representation headers every carrier takes plus the carrier's own documented ones (its
 * descriptor's `forwardedHeaders`, each citing its spec; validated at boot, which also refuses
 * hop-by-hop, credential, forwarding and override names there) plus the account's
 * `passThrough.forwardHeaders`. Everything else (method overrides, URL rewrites, address claims,
 * a client's own API key, the client's gateway key and cookies) stays at the gateway.
 */
function forwardedHeaderNames(account: ConfiguredAccount, extra: readonly string[] = []): Set<string> {
  return new Set([
    ...HEADERS_EVERY_CARRIER_TAKES,
    ...account.descriptor.data.forwardedHeaders.names,
    ...extra,
  ]);
}

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

/**
 * Issue 12, point 7: an empty segment (`//`, which some servers collapse and others route
 * apart) and a `%` not followed by two hex digits (which parsers repair each in their own way)
 * make the carrier read another path than the one checked here.
 */
const AMBIGUOUS_PATH = /\/\/|%(?![0-9a-f]{2})/i;

/**
 * Issue 12, point 10: the simulators' control API (`/__sim/...`, src/sim/control.ts) changes
 * what a simulator answers for everyone; a client of the gateway never reaches it, whatever the
 * case or encoding.
 */
const CONTROL_SEGMENT = /(^|\/)__sim(\/|$)/i;

function pathRejected(path: string): boolean {
  if (path === '' || FORBIDDEN_PATH.test(path) || AMBIGUOUS_PATH.test(path)) return true;
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return true;
  }
  return CONTROL_SEGMENT.test(decoded);
}

/** Default pass-through body limit per account (`passThrough.maxBodyBytes`). */
export const PASS_THROUGH_BODY_LIMIT_BYTES = 10 * 1024 * 1024;

const bodyTooLarge = (account: string, limit: number) =>
  new GatewayError('ERR_BODY_TOO_LARGE', undefined, {
    account,
    detail: `a pass-through request body to this account is at most ${limit} bytes`,
  });

/** Default of `passThrough.bodyIdleTimeoutMs`. */
export const BODY_IDLE_TIMEOUT_MS = 10_000;
/** Default of `passThrough.maxConcurrentCallsPerClient`. */
export const CLIENT_CALLS_PER_ORIGIN = 32;
/** Default of `passThrough.concurrencyWaitMs`: how long a call over the limit waits for a slot. */
export const CONCURRENCY_WAIT_MS = 5_000;

const bodyStalled = (account: string, idleMs: number) =>
  new GatewayError('ERR_REQUEST_TIMEOUT', undefined, {
    account,
    detail: `the request body sent nothing for ${idleMs} ms; the carrier call was cancelled`,
  });

/**
 * The client's body as sent on. Refused past `limit` bytes: a declared Content-Length is checked
 * before anything is sent, a chunked body is counted as it streams and the call is cut (the
 * carrier sees an aborted request, never a complete oversized one). Cut too when the client sends
 * nothing for `idleMs` (issue 12, point 3) while the carrier is ready for more: the error fails
 * the upstream request, which undici then aborts, freeing its connection; a pause the carrier
 * itself causes (its side is not reading) is not the client's.
 */
function guardedBody(req: IncomingMessage, account: string, limit: number, idleMs: number): Readable {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > limit) throw bodyTooLarge(account, limit);
  const counted = declared === undefined;
  let size = 0;
  const guarded = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      idle.refresh();
      size += chunk.length;
      if (counted && size > limit) callback(bodyTooLarge(account, limit));
      else callback(null, chunk);
    },
    flush(callback) {
      clearTimeout(idle);
      callback();
    },
  });
  const idle = setTimeout(function stalled() {
    if (guarded.destroyed) return;
    if (guarded.readableLength >= guarded.readableHighWaterMark) {
      idle.refresh();
      return;
    }
    guarded.destroy(bodyStalled(account, idleMs));
  }, idleMs);
  guarded.once('close', () => clearTimeout(idle));
  req.on('error', (error) => guarded.destroy(error));
  return req.pipe(guarded);
}

export interface ProxyOptions {
  accounts: ConfiguredAccount[];
  api: CarrierApi;
  clients: ClientRegistry;
  log: Logger;
  /** Pass-through body limits by account (`passThrough.maxBodyBytes`); the default otherwise. */
  bodyLimits?: ReadonlyMap<string, number>;
  /** Further client headers an account forwards (`passThrough.forwardHeaders`), by account. */
  forwardHeaders?: ReadonlyMap<string, readonly string[]>;
  /** The top-level `passThrough` block: calls in flight per client and carrier origin, body idle cut. */
  limits?: { maxConcurrentCallsPerClient?: number; concurrencyWaitMs?: number; bodyIdleTimeoutMs?: number };
  /** Told when a connection authenticates a client (the new-network alert). */
  alerts?: {
    clientKeyUsed(
      clientId: string,
      remoteAddress: string | undefined,
      forwardedFor?: string | string[] | undefined,
    ): void;
    /** Whether the socket's peer is a trusted proxy: then each request may come from another client. */
    behindProxy?(remoteAddress: string | undefined): boolean;
  };
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

export class CarrierProxy {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  readonly #connections = new WeakMap<
    Socket,
    { header: string; client: AuthenticatedClient; generation: number }
  >();

  readonly #forwarded: ReadonlyMap<string, ReadonlySet<string>>;
  /** Each account's carrier origin, read once: `URL.origin` builds a new string on every read. */
  readonly #origins: Map<string, string>;
  readonly #slots: ClientSlots;
  readonly #bodyIdleMs: number;
  readonly #concurrencyWaitMs: number;

  constructor(private readonly options: ProxyOptions) {
    this.#accounts = accountsById(options.accounts);
    // Accounts of one carrier with no headers of their own share its set, and equal origins one
    // string: 10,000 accounts held 10,000 of each (issue 11).
    const carrierNames = new Map<unknown, Set<string>>();
    const origins = new Map<string, string>();
    this.#forwarded = new Map(
      options.accounts.map((account) => {
        const extra = options.forwardHeaders?.get(account.id);
        if (extra !== undefined) return [account.id, forwardedHeaderNames(account, extra)];
        let names = carrierNames.get(account.descriptor);
        if (names === undefined)
          carrierNames.set(account.descriptor, (names = forwardedHeaderNames(account)));
        return [account.id, names];
      }),
    );
    this.#origins = new Map(
      options.accounts.map((account) => {
        const origin = account.api.baseUrl.origin;
        if (!origins.has(origin)) origins.set(origin, origin);
        return [account.id, origins.get(origin)!];
      }),
    );
    this.#slots = new ClientSlots(options.limits?.maxConcurrentCallsPerClient ?? CLIENT_CALLS_PER_ORIGIN);
    this.#bodyIdleMs = options.limits?.bodyIdleTimeoutMs ?? BODY_IDLE_TIMEOUT_MS;
    this.#concurrencyWaitMs = options.limits?.concurrencyWaitMs ?? CONCURRENCY_WAIT_MS;
  }

  /**
   * The client behind this keep-alive connection. A connection that sends the same Authorization
   * value again is the same client, so the digest and compare run once per connection, not per
   * request; the comparison is against what this connection itself sent, so it reveals nothing.
   */
  #authenticate(req: IncomingMessage): AuthenticatedClient {
    const header = req.headers.authorization;
    const known = this.#connections.get(req.socket);
    const { clients } = this.options;
    if (
      known !== undefined &&
      header !== undefined &&
      known.header === header &&
      known.generation === clients.generation
    ) {
      // A balancer's connection carries many clients' requests: each one says where it is from.
      if (this.options.alerts?.behindProxy?.(req.socket.remoteAddress))
        this.options.alerts.clientKeyUsed(
          known.client.id,
          req.socket.remoteAddress,
          req.headers['x-forwarded-for'],
        );
      return known.client;
    }
    const client = clients.authenticate(header);
    this.#connections.set(req.socket, { header: header!, client, generation: clients.generation });
    // Once per connection and key, not per request: cheap enough for the hot path.
    this.options.alerts?.clientKeyUsed(client.id, req.socket.remoteAddress, req.headers['x-forwarded-for']);
    return client;
  }

  /** Handles a request whose URL starts with PROXY_PREFIX. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.#forward(req, res).catch((error: unknown) => {
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

    const trace = traceOf(req);
    if (trace !== undefined) {
      trace.route = PROXY_ROUTE;
      trace.account = accountId;
    }
    const client = this.#authenticate(req);
    if (trace !== undefined) trace.client = client.id;
    const account = this.#accounts.get(accountId);
    this.options.clients.authorize(client, accountId, account !== undefined);

    const queryAt = pathAndQuery.search(/[?#]/);
    const path = queryAt === -1 ? pathAndQuery : pathAndQuery.slice(0, queryAt);
    // A fragment never belongs in a request target (RFC 9112 3.2), and `/..#x` reads as `/..`
    // to the carrier's URL parser.
    if (pathRejected(path) || pathAndQuery.includes('#')) {
      throw new GatewayError('ERR_PATH_REJECTED', undefined, {
        account: accountId,
        detail:
          'the path must be non-empty with no dot segments, empty segments, encoded slashes, malformed percent escapes, fragments or control characters',
      });
    }

    const method = req.method ?? 'GET';
    const headers: Record<string, string | string[]> = {};
    const listed = connectionListed(req.headers.connection);
    const allowed = this.#forwarded.get(accountId)!;
    const incoming = req.headers;
    // for..in, not Object.entries: no array of pairs per request on the hot path.
    for (const name in incoming) {
      const value = incoming[name];
      if (value === undefined || !allowed.has(name) || listed?.has(name)) continue;
      headers[name] = value;
    }
    // Issue 12, point 3: one client holds at most so many of the origin's pooled connections.
    const release = await this.#slots.acquire(
      client.id,
      this.#origins.get(accountId)!,
      this.#concurrencyWaitMs,
    );
    if (release === null) {
      throw new GatewayError('ERR_CLIENT_CONCURRENCY', undefined, {
        account: accountId,
        retryAfterMs: 1_000,
        detail: `a client has at most ${this.#slots.limit} calls in flight to one carrier; send it again when one ends`,
      });
    }
    // The client may have left while it waited: nothing to send for it.
    if (req.destroyed) {
      release();
      return;
    }
    try {
      await this.#send(req, res, account!, method, pathAndQuery, headers, trace);
    } finally {
      release();
    }
  }

  async #send(
    req: IncomingMessage,
    res: ServerResponse,
    account: ConfiguredAccount,
    method: string,
    pathAndQuery: string,
    headers: Record<string, string | string[]>,
    trace: CallTrace | undefined,
  ): Promise<void> {
    const accountId = account.id;
    const withBody = hasBody(req);
    const idempotent = IDEMPOTENT_METHODS.has(method);
    // 'aborted' is the client's side only: its connection ended, or the parser refused the rest
    // of its body, before the request was complete.
    let clientBroke = false;
    if (withBody) req.once('aborted', () => (clientBroke = true));
    await this.options.api.pipe(
      account,
      {
        method,
        path: pathAndQuery,
        headers,
        body: withBody
          ? guardedBody(
              req,
              accountId,
              this.options.bodyLimits?.get(accountId) ?? PASS_THROUGH_BODY_LIMIT_BYTES,
              this.#bodyIdleMs,
            )
          : null,
      },
      (status, upstreamHeaders) => {
        const out: Record<string, string | string[]> = {};
        const hop = connectionListed(upstreamHeaders.connection);
        for (const name in upstreamHeaders) {
          const value = upstreamHeaders[name];
          if (value === undefined || RESPONSE_HEADERS_DROPPED.has(name) || hop?.has(name)) continue;
          out[name] = value;
        }
        res.writeHead(status, out);
        return res;
      },
      {
        source: 'api',
        retry: {
          // A body streamed to the carrier is gone: only a bodiless idempotent call can be sent again.
          token: idempotent && !withBody,
          // A replay is safe when the method is idempotent or the carrier deduplicates by key.
          dependent: idempotent || req.headers['x-idempotency-key'] !== undefined,
        },
        // Only what crosses counts as sent (a USPS client's own payment token, where allowed).
        clientSends: (header) => headers[header] !== undefined,
        clientFault: () =>
          clientBroke
            ? new GatewayError('ERR_REQUEST_STREAM_INVALID', undefined, {
                account: accountId,
                detail: 'the request body ended before it was complete, or its framing is invalid',
              })
            : undefined,
        ...(trace !== undefined ? { trace } : {}),
      },
    );
  }
}
