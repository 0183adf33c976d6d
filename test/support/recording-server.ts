/**
 * @module test/support/recording-server
 *
 * Owns the stand-in carrier for contract tests: a real HTTP server on 127.0.0.1 that records
 * every request exactly as it arrived on the wire (so what the tests validate is what a carrier
 * would receive, after the HTTP client's own header and body serialization) and answers with
 * whatever the test's responder returns.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  /** Path and query string, as sent in the request line. */
  url: string;
  /** Header names lowercased; repeated headers joined the way Node joins them. */
  headers: Record<string, string>;
  /** Raw body decoded as UTF-8; '' when there was none. */
  body: string;
}

export interface RecordedResponse {
  status: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else is sent as JSON. */
  body?: string | object;
}

export type Responder = (req: RecordedRequest) => RecordedResponse | Promise<RecordedResponse>;

export interface RecordingServer {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:41234`. */
  url: string;
  /** Every request received so far, oldest first. The array is cleared in place, never replaced. */
  requests: RecordedRequest[];
  close(): Promise<void>;
  clear(): void;
}

function flattenHeaders(raw: IncomingMessage['headers']): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, reply: RecordedResponse): void {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(reply.headers ?? {})) headers[name.toLowerCase()] = value;
  let payload = '';
  if (typeof reply.body === 'string') {
    payload = reply.body;
    headers['content-type'] ??= 'text/plain; charset=utf-8';
  } else if (reply.body !== undefined) {
    payload = JSON.stringify(reply.body);
    headers['content-type'] ??= 'application/json';
  }
  res.writeHead(reply.status, headers);
  res.end(payload);
}

/**
 * Stops listening and drops the open connections at once: a keep-alive pool (undici's), or a
 * request a handler never answered, would otherwise hold close() open.
 */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Starts the server on an ephemeral port. The default responder answers 200 with no body. */
export async function startRecordingServer(
  respond: Responder = () => ({ status: 200 }),
): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];

  const server = createServer((req, res) => {
    void (async () => {
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        headers: flattenHeaders(req.headers),
        body: await readBody(req),
      };
      requests.push(recorded);
      let reply: RecordedResponse;
      try {
        reply = await respond(recorded);
      } catch (error) {
        // A throwing responder is a test bug; a loud 500 surfaces it instead of hanging the client.
        const message = error instanceof Error ? error.message : String(error);
        reply = { status: 500, body: `recording-server responder threw: ${message}` };
      }
      send(res, reply);
    })().catch((error: unknown) => {
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    clear() {
      requests.length = 0;
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Pooled keep-alive connections (undici) would otherwise hold close() open.
        server.closeAllConnections();
      });
    },
  };
}
