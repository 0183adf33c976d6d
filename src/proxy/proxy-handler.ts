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

import type { ConfiguredAccount } from '../core/account.js';
import { GatewayError, isGatewayError } from '../core/errors.js';
import type { AuthenticatedClient, ClientRegistry } from '../http/clients.js';
import { sendProblem } from '../http/problem.js';
import { traceOf } from '../http/request-trace.js';
import type { Logger } from '../platform/log.js';
import type { CarrierApi } from '../upstream/carrier-api.js';

export const PROXY_PREFIX = '/v1/carriers/';
/** The route as the access log and the OpenAPI document name it. */
export const PROXY_ROUTE = '/v1/carriers/{accountId}/{path}';

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

export interface ProxyOptions {
  accounts: ConfiguredAccount[];
  api: CarrierApi;
  clients: ClientRegistry;
  log: Logger;
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

export class CarrierProxy {
  readonly #accounts: Map<string, ConfiguredAccount>;
  readonly #connections = new WeakMap<Socket, { header: string; client: AuthenticatedClient }>();

  constructor(private readonly options: ProxyOptions) {
    this.#accounts = new Map(options.accounts.map((account) => [account.id, account]));
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
    if (path === '' || FORBIDDEN_PATH.test(path) || pathAndQuery.includes('#')) {
      throw new GatewayError('ERR_PATH_REJECTED', undefined, {
        account: accountId,
        detail:
          'the path must be non-empty with no dot segments, encoded slashes, fragments or control characters',
      });
    }

    const method = req.method ?? 'GET';
    const headers: Record<string, string | string[]> = {};
    const listed = connectionListed(req.headers.connection);
    for (const [name, value] of Object.entries(req.headers)) {
      if (value === undefined || REQUEST_HEADERS_DROPPED.has(name) || listed?.has(name)) continue;
      if (name.startsWith('x-forwarded-')) continue;
      headers[name] = value;
    }
    const withBody = hasBody(req);
    const idempotent = IDEMPOTENT_METHODS.has(method);
    // 'aborted' is the client's side only: its connection ended, or the parser refused the rest
    // of its body, before the request was complete.
    let clientBroke = false;
    if (withBody) req.once('aborted', () => (clientBroke = true));
    await this.options.api.pipe(
      account!,
      { method, path: pathAndQuery, headers, body: withBody ? req : null },
      (status, upstreamHeaders) => {
        const out: Record<string, string | string[]> = {};
        const hop = connectionListed(upstreamHeaders.connection);
        for (const [name, value] of Object.entries(upstreamHeaders)) {
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
        clientSends: (header) => req.headers[header] !== undefined,
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
