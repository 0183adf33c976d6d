/**
 * @module http/request-trace
 * Who a request is, for logs, problems and carriers: its request id, its W3C Trace Context
 * (https://www.w3.org/TR/trace-context/), and what the access log says about it once the
 * response is closed (route, carrier account, client, status, duration, time spent at carriers).
 *
 * One `RequestTrace` is made per request by the node:http listener (src/gateway.ts), for the
 * pass-through and the hono app alike, and hung on the request object: the hot path pays one small
 * object, two ids and one shared `close` listener, no closure. An incoming `X-Request-Id` is kept
 * when it is a plain token; otherwise the request id is the trace id, taken from a valid incoming
 * `traceparent` or drawn fresh.
 */
import { randomFillSync } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import { pino } from 'pino';

import type { Logger } from '../platform/log.js';
import { carrierMsOf } from '../upstream/carrier-api.js';

export const REQUEST_ID_HEADER = 'x-request-id';

/** Printable, no spaces or quotes: nothing that could forge a log line or a header. */
const REQUEST_ID = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$/;
/** W3C Trace Context 3.2: version-traceid-parentid-flags, lower-case hex; version ff is invalid. */
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const ZERO_TRACE = '0'.repeat(32);
const ZERO_SPAN = '0'.repeat(16);

const TRACE = Symbol('carrier-gateway.request-trace');
type Traced = { [TRACE]?: RequestTrace };

/**
 * Random ids for every request come from a pooled buffer refilled 4 KiB at a time: one
 * `randomBytes` call per request was 2.6 % of a pass-through call's CPU (docs/benchmarks.md, run 11).
 */
const RANDOM_POOL = Buffer.alloc(4096);
let randomOffset = RANDOM_POOL.length;
function randomHex(bytes: number): string {
  if (randomOffset + bytes > RANDOM_POOL.length) {
    randomFillSync(RANDOM_POOL);
    randomOffset = 0;
  }
  const hex = RANDOM_POOL.toString('hex', randomOffset, randomOffset + bytes);
  randomOffset += bytes;
  return hex;
}

function header(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export class RequestTrace {
  readonly id: string;
  /** 32 lower-case hex digits: the caller's trace, or a new one. */
  readonly traceId: string;
  /** The caller's span this request belongs to, when it sent a `traceparent`. */
  readonly callerSpanId: string | undefined;
  /** This request's own span id (parent of every carrier call it makes). */
  readonly spanId: string;
  readonly sampled: boolean;
  readonly startedAt = performance.now();
  /** The route template (`/v1/shipments`, `/v1/carriers/{accountId}/{path}`), never the raw URL. */
  route = 'unmatched';
  /** The carrier account the request was for, once known. */
  account: string | undefined = undefined;
  /** The authenticated client's id, once known. */
  client: string | undefined = undefined;
  /**
   * Milliseconds spent waiting for carrier APIs (to the answer's headers): calls one after the
   * other add up, calls side by side count once (see `CallTrace` in src/upstream/carrier-api.ts).
   */
  carrierMs = 0;
  carrierCallsOut = 0;
  carrierOutSince = 0;

  constructor(requestId: string | undefined, traceparent: string | undefined) {
    const parent = traceparent !== undefined ? TRACEPARENT.exec(traceparent.trim()) : null;
    const valid =
      parent !== null &&
      parent[1] !== 'ff' &&
      parent[2] !== ZERO_TRACE &&
      parent[3] !== ZERO_SPAN &&
      // Version 00 has exactly four fields (Trace Context 3.2.4).
      (parent[1] !== '00' || parent[5] === undefined);
    const ids = randomHex(valid ? 8 : 24);
    if (valid) {
      this.traceId = parent[2]!;
      this.callerSpanId = parent[3]!;
      this.sampled = (parseInt(parent[4]!, 16) & 1) === 1;
      this.spanId = ids;
    } else {
      this.traceId = ids.slice(0, 32);
      this.callerSpanId = undefined;
      // Nobody upstream decided: the gateway records its own traces when a tracer is configured.
      this.sampled = true;
      this.spanId = ids.slice(32);
    }
    this.id = requestId !== undefined && REQUEST_ID.test(requestId) ? requestId : this.traceId;
  }

  /** From node's lower-cased headers: `x-request-id` and `traceparent`. */
  static fromHeaders(headers: Readonly<Record<string, string | string[] | undefined>>): RequestTrace {
    return new RequestTrace(header(headers[REQUEST_ID_HEADER]), header(headers.traceparent));
  }

  /** The `traceparent` for a call made under `spanId` (this request's own span by default). */
  traceparent(spanId: string = this.spanId): string {
    return `00-${this.traceId}-${spanId}-${this.sampled ? '01' : '00'}`;
  }
}

/** The trace the listener hung on this request, if any (in-process requests have none). */
export function traceOf(req: IncomingMessage | undefined): RequestTrace | undefined {
  return req === undefined ? undefined : (req as Traced)[TRACE];
}

/** Where pino keeps a logger's stream, its bound fields and its clock (pino's public `symbols`). */
const { streamSym, chindingsSym, timeSym, needsMetadataGsym } = pino.symbols;
const INFO = 30;

/** A JSON string literal, or nothing for an absent field. */
function field(name: string, value: string | undefined): string {
  return value === undefined ? '' : `,"${name}":${JSON.stringify(value)}`;
}

/**
 * Begins a request: its trace, its `X-Request-Id` answer header, and one access-log line when the
 * response closes (finished, or cut by either side).
 *
 * The line is written as pino would write it (same level, time, bound fields and order, one JSON
 * line to the parent's stream), but built as one string: pino's general path cost 4.4 against
 * 1.7 µs a line and twice the garbage (measured alone, 300,000 lines), on every request. Its
 * fields are fixed and carry no secret (ids, the route template, numbers), so pino's redaction,
 * a second line of defence for free-form objects, has nothing to do here. A stream that needs
 * pino's metadata (a multistream) gets the line through pino itself.
 */
export class AccessLog {
  readonly #closed: (this: ServerResponse) => void;

  constructor(parent: Logger) {
    const internals = parent as unknown as Record<symbol, unknown>;
    const stream = internals[streamSym] as { write(line: string): void; [key: symbol]: unknown };
    const bound = internals[chindingsSym] as string;
    const clock = internals[timeSym] as () => string;
    const direct = stream[needsMetadataGsym] !== true && typeof clock === 'function';
    const log = direct ? undefined : parent.child({}, { redact: { paths: [], censor: '' } });
    this.#closed = function closed(this: ServerResponse & Traced) {
      if (parent.levelVal > INFO) return;
      const trace = this[TRACE]!;
      const durationMs = Math.round((performance.now() - trace.startedAt) * 10) / 10;
      // A call still out (a rate call cut at the deadline) counts up to the answer.
      const carrierMs = Math.round(carrierMsOf(trace) * 10) / 10;
      if (log !== undefined) {
        log.info(
          {
            requestId: trace.id,
            traceId: trace.traceId,
            method: this.req.method,
            route: trace.route,
            account: trace.account,
            client: trace.client,
            status: this.statusCode,
            ...(this.writableFinished ? {} : { aborted: true }),
            durationMs,
            carrierMs,
          },
          'request',
        );
        return;
      }
      stream.write(
        `{"level":${INFO}${clock()}${bound}${field('requestId', trace.id)},"traceId":"${trace.traceId}"` +
          `${field('method', this.req.method)}${field('route', trace.route)}${field('account', trace.account)}` +
          `${field('client', trace.client)},"status":${this.statusCode}` +
          `${this.writableFinished ? '' : ',"aborted":true'},"durationMs":${durationMs},"carrierMs":${carrierMs}` +
          `,"msg":"request"}\n`,
      );
    };
  }

  begin(req: IncomingMessage, res: ServerResponse): RequestTrace {
    const trace = RequestTrace.fromHeaders(req.headers);
    (req as Traced)[TRACE] = trace;
    (res as Traced)[TRACE] = trace;
    res.setHeader(REQUEST_ID_HEADER, trace.id);
    // `on`, not `once`: a response closes once, and `once` wraps the listener anew per request.
    res.on('close', this.#closed);
    return trace;
  }
}
