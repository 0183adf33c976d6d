/**
 * @module bench/baseline-proxy
 * The yardstick for the pass-through benchmark: the smallest honest reverse proxy node:http can
 * be, doing the same per-request work as the gateway's data path minus the gateway's own features
 * (client authentication, token lookup, retry on rejection, problem bodies). It maps
 * `/v1/carriers/<account>/<path>` to `<upstream>/<path>`, drops hop-by-hop headers and the client's
 * Authorization, injects a fixed carrier token and the UPS `transid`/`transactionsrc` headers (as
 * carriers/ups/api.ts does), forwards over a keep-alive http.Agent and streams the answer back.
 *
 *   BASELINE_UPSTREAM=http://127.0.0.1:4001 BASELINE_TOKEN=... PORT=0 \
 *     node --import tsx bench/baseline-proxy.ts
 *
 * The token comes from the environment, not argv, so it does not show up in process listings.
 * Prints one JSON line `{"baseline":"listening","port":N}` once listening.
 */
import { randomUUID } from 'node:crypto';
import {
  Agent,
  createServer,
  request,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import type { AddressInfo } from 'node:net';

const PREFIX = '/v1/carriers/';

/** RFC 9110 7.6.1 hop-by-hop fields, plus what the gateway also refuses to pass on. */
const REQUEST_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'authorization',
]);
const RESPONSE_DROPPED = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const upstream = new URL(process.env.BASELINE_UPSTREAM ?? '');
const token = process.env.BASELINE_TOKEN ?? '';
if (token === '') throw new Error('BASELINE_TOKEN must be set');

// Same socket budget as the gateway's undici Pool (64 per origin), kept alive between requests.
const agent = new Agent({ keepAlive: true, maxSockets: 64, keepAliveMsecs: 30_000 });

function filtered(headers: IncomingHttpHeaders, dropped: Set<string>): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !dropped.has(name)) out[name] = value;
  }
  return out;
}

/** Same test as the gateway's: a body is announced by a non-zero Content-Length or any Transfer-Encoding. */
function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return length !== '0';
  return req.headers['transfer-encoding'] !== undefined;
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  // `/v1/carriers/<account>/<rest>` → `/<rest>`; anything else is forwarded as is.
  let path = url;
  if (url.startsWith(PREFIX)) {
    const slash = url.indexOf('/', PREFIX.length);
    path = slash === -1 ? '/' : url.slice(slash);
  }
  const headers = filtered(req.headers, REQUEST_DROPPED);
  headers['authorization'] = `Bearer ${token}`;
  headers['transid'] ??= randomUUID().replaceAll('-', '');
  headers['transactionsrc'] ??= 'carrier-gateway';

  // .pipe() rather than stream.pipeline(): pipeline aborts an internal AbortController when it
  // finishes, building a DOMException for every request, and under tsx that also costs synchronous
  // round trips to the module-hooks thread: about a quarter of the baseline's CPU in a profile. The
  // yardstick must be lean, so errors are wired by hand.
  const outgoing = request(
    { agent, host: upstream.hostname, port: upstream.port, method: req.method, path, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, filtered(answer.headers, RESPONSE_DROPPED));
      answer.on('error', () => res.destroy());
      answer.pipe(res);
    },
  );
  outgoing.on('error', () => {
    if (res.headersSent) res.destroy();
    else res.writeHead(502, { 'content-type': 'text/plain' }).end('upstream unreachable');
  });
  // A client that goes away mid-answer frees the upstream socket too.
  res.on('close', () => {
    if (!res.writableFinished) outgoing.destroy();
  });
  // Bodyless requests end at once, as the gateway sends `body: null` for them.
  if (hasBody(req)) {
    req.on('error', () => outgoing.destroy());
    req.pipe(outgoing);
  } else {
    outgoing.end();
  }
});
// Same as the gateway (src/gateway.ts): longer than any client's idle timeout.
server.keepAliveTimeout = 65_000;

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ baseline: 'listening', port })}\n`);
});

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
  agent.destroy();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
