/**
 * @module shipments/carrier-call
 * Sends one label request to a carrier and says what is known about its fate. The distinction
 * that matters for failover is whether the carrier could have received the request:
 * - not_sent: the connection was never made (refused, no such host, connect timeout), so the
 *   carrier cannot have created anything;
 * - lost: the request went out and no complete answer came back (timeout, reset), so the label
 *   may exist;
 * - answered: status and body.
 */
import { Pool, type Dispatcher } from 'undici';

import type { ConfiguredAccount } from '../core/account.js';
import type { ShippingCall } from '../core/shipping-adapter.js';

export type CallResult =
  | { kind: 'answered'; status: number; headers: Dispatcher.ResponseData['headers']; body: string }
  | { kind: 'not_sent'; code: string }
  | { kind: 'lost'; code: string; timedOut: boolean };

/** Failures that happen before a byte of the request can have reached the carrier. */
const NOT_SENT_CODES = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'UND_ERR_CONNECT_TIMEOUT',
]);

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Label answers are a few hundred kilobytes at most; a bigger one is not a label. */
export const ANSWER_LIMIT_BYTES = 10 * 1024 * 1024;

function errorCode(error: unknown): string {
  let current = error as { code?: string; cause?: unknown } | undefined;
  for (let depth = 0; current && depth < 4; depth += 1) {
    if (typeof current.code === 'string') return current.code;
    current = current.cause as typeof current;
  }
  return 'UNKNOWN';
}

export class CarrierCaller {
  readonly #pools = new Map<string, Pool>();

  constructor(private readonly connections = 32) {}

  #pool(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, { connections: this.connections, keepAliveTimeout: 30_000 });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  async send(
    account: ConfiguredAccount,
    call: ShippingCall,
    headers: Record<string, string>,
  ): Promise<CallResult> {
    const base = account.api.baseUrl;
    const path = base.pathname.replace(/\/$/, '') + '/' + call.path;
    try {
      const response = await this.#pool(base.origin).request({
        method: call.method,
        path,
        headers: { ...call.headers, ...headers },
        body: call.body,
        headersTimeout: account.api.timeoutMs,
        bodyTimeout: account.api.timeoutMs,
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
        body: Buffer.concat(chunks).toString(account.shipping?.adapter.answerEncoding ?? 'utf8'),
      };
    } catch (error) {
      const code = errorCode(error);
      if (NOT_SENT_CODES.has(code)) return { kind: 'not_sent', code };
      return { kind: 'lost', code, timedOut: TIMEOUT_CODES.has(code) };
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#pools.values()].map((pool) => pool.close()));
  }
}
