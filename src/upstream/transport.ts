/**
 * @module upstream/transport
 * The connections to carrier APIs: one keep-alive undici Pool per carrier origin (accounts that
 * share an origin share a pool, never their timeouts), and what a failed request says about its
 * fate. That distinction is what failover rests on:
 * - not_sent: the connection was never made (refused, no such host, connect timeout), so the
 *   carrier cannot have acted on the request;
 * - lost: the request went out and no complete answer came back (timeout, reset), so the carrier
 *   may have acted on it;
 * - answered: status, headers and body.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { PeerCertificate } from 'node:tls';

import { Agent, Client, Pool, type Dispatcher } from 'undici';

import { GatewayError } from '../core/errors.js';
import { transportFate } from '../core/transport-failures.js';
import { deadline } from '../platform/deadline.js';
import { certificateConnector, type ProbeCa } from './tls.js';

export type TransportFailure =
  | { kind: 'not_sent'; code: string; reason: 'dns' | 'connect' | 'tls' }
  | { kind: 'lost'; code: string; timedOut: boolean };

export type CallResult =
  | {
      kind: 'answered';
      status: number;
      headers: IncomingHttpHeaders;
      body: string;
      /** The host's TLS certificate, on a fresh connection to an https origin. */
      certificate?: PeerCertificate;
    }
  | TransportFailure;

/** One request on the wire: the origin's pool, the full path, and the account's timeout. */
export interface WireRequest {
  origin: string;
  /** Absolute path (API base path included) and query. */
  path: string;
  method: string;
  headers: Record<string, string | string[]>;
  body: Readable | Buffer | string | null;
  timeoutMs: number;
}

/** Answers read into memory (labels, rates) are a few hundred kilobytes at most. */
export const ANSWER_LIMIT_BYTES = 10 * 1024 * 1024;

/** What a thrown transport error says about the request's fate. */
export function transportFailure(error: unknown, timedOut = false): TransportFailure {
  const fate = transportFate(error, timedOut);
  const code = fate.code || 'UNKNOWN';
  return fate.sent
    ? { kind: 'lost', code, timedOut: fate.timedOut }
    : { kind: 'not_sent', code, reason: fate.reason };
}

/** The client-facing error for a transport failure (the code goes in `detail`, for the taxonomy). */
export function transportError(account: string, failure: TransportFailure, cause?: unknown): GatewayError {
  const timedOut = failure.kind === 'lost' && failure.timedOut;
  // The detail names the cause the taxonomy reads (src/core/failures.ts: dns:, connect:, tls:).
  const detail =
    failure.kind === 'not_sent'
      ? `${failure.reason}: ${failure.code}`
      : failure.code === 'UNKNOWN'
        ? 'connection failed'
        : failure.code;
  return new GatewayError(timedOut ? 'ERR_CARRIER_TIMEOUT' : 'ERR_CARRIER_UNREACHABLE', undefined, {
    account,
    ...(cause !== undefined ? { cause } : {}),
    detail,
  });
}

async function sendAndRead(
  dispatcher: Dispatcher,
  wire: WireRequest,
  encoding: BufferEncoding,
  signal?: AbortSignal,
): Promise<CallResult> {
  try {
    const response = await dispatcher.request({
      ...(signal !== undefined ? { signal } : {}),
      method: wire.method as Dispatcher.HttpMethod,
      path: wire.path,
      headers: wire.headers,
      body: wire.body,
      headersTimeout: wire.timeoutMs,
      bodyTimeout: wire.timeoutMs,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > ANSWER_LIMIT_BYTES) {
        response.body.destroy();
        return { kind: 'lost', code: 'ANSWER_TOO_LARGE', timedOut: false };
      }
      chunks.push(chunk as Buffer);
    }
    return {
      kind: 'answered',
      status: response.statusCode,
      headers: response.headers,
      body: Buffer.concat(chunks).toString(encoding),
    };
  } catch (error) {
    return transportFailure(error, signal?.aborted === true);
  }
}

/** Connections that trust `ca` instead of the defaults (a private CA; tests' self-signed certificates). */
export function dispatcherTrusting(ca: ProbeCa): Agent {
  return new Agent({ connect: { ca } });
}

export class CarrierTransport {
  readonly #pools = new Map<string, Pool>();

  constructor(private readonly connections = 64) {}

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connections, keepAliveTimeout: 30_000 });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** Sends and reads the whole answer into memory (bounded); never throws. */
  async request(
    wire: WireRequest,
    encoding: BufferEncoding = 'utf8',
    signal?: AbortSignal,
  ): Promise<CallResult> {
    return sendAndRead(this.#pool(wire.origin), wire, encoding, signal);
  }

  /**
   * Sends on a connection of its own, closed afterwards, and reports the TLS certificate the host
   * served on it (probes: each one meets the host's current certificate). `ca` replaces the
   * default trust (a private CA, a test's self-signed certificate).
   */
  async requestOnFreshConnection(
    wire: WireRequest,
    options: { ca?: ProbeCa; encoding?: BufferEncoding } = {},
  ): Promise<CallResult> {
    let certificate: PeerCertificate | undefined;
    const client = new Client(wire.origin, {
      connect: certificateConnector(options.ca, (_host, seen) => (certificate = seen)),
    });
    // One deadline for the whole exchange, TLS handshake included.
    const limit = deadline(wire.timeoutMs);
    try {
      const result = await sendAndRead(client, wire, options.encoding ?? 'utf8', limit.signal);
      return result.kind === 'answered' && certificate !== undefined ? { ...result, certificate } : result;
    } finally {
      limit.release();
      await client.destroy().catch(() => undefined);
    }
  }

  /**
   * Sends and streams the answer into whatever `factory` returns for its status and headers
   * (the pass-through's response, or a sink for an answer held back). Throws the transport's
   * own error; `transportFailure` reads it.
   */
  async stream(wire: WireRequest, factory: Dispatcher.StreamFactory): Promise<void> {
    await this.#pool(wire.origin).stream(
      {
        path: wire.path,
        method: wire.method as Dispatcher.HttpMethod,
        headers: wire.headers,
        body: wire.body,
        headersTimeout: wire.timeoutMs,
        bodyTimeout: wire.timeoutMs,
      },
      factory,
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
  }
}
