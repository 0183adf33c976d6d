/**
 * @module lifecycle/drain
 * The HTTP server's part in a graceful stop, and the work in flight through it. Every request
 * passes `admit` first:
 * - serving: nothing changes;
 * - draining (from SIGTERM, for the grace period): requests are still served, but every answer
 *   carries `Connection: close`, so a keep-alive client opens its next connection through the load
 *   balancer, which no longer sends it here;
 * - closing: the listener is closed, a connection is closed as soon as it has no request left, and
 *   a request that still arrives on an open connection is refused before anything is done
 *   (503 ERR_SHUTTING_DOWN, `Connection: close`), so its client can send it to another instance.
 * Work that may outlive its answer (a shipment whose client hung up: its label call and record
 * still run) is tracked with `track`. `whenIdle` resolves once nothing is in flight.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

import { GatewayError } from '../core/errors.js';
import { sendProblem } from '../http/problem.js';

export type DrainPhase = 'serving' | 'draining' | 'closing';

/** What is still running, for the log line of a stop that could not wait for it. */
export interface InFlightWork {
  kind: 'request' | 'shipment';
  /** `METHOD /path` (no query string) or what the shipment is for. */
  what: string;
  ageMs: number;
}

interface Entry {
  kind: InFlightWork['kind'];
  /** What tracked work is for; a request's is read from `response` only when someone asks. */
  what?: string;
  started: number;
  response?: ServerResponse | undefined;
}

/** The entry a response is tracked by, hung on the response: one shared `close` listener, no closure. */
const ENTRY = Symbol('carrier-gateway.drain-entry');
const DRAIN = Symbol('carrier-gateway.drain');
type Tracked = ServerResponse & { [ENTRY]?: Entry; [DRAIN]?: ServerDrain };

/** `METHOD /path` of a request, without its query string. */
function requestLine(res: ServerResponse): string {
  const url = res.req.url ?? '';
  const queryAt = url.indexOf('?');
  return `${res.req.method ?? '?'} ${queryAt === -1 ? url : url.slice(0, queryAt)}`;
}

function responseClosed(this: Tracked): void {
  const entry = this[ENTRY];
  if (entry !== undefined) this[DRAIN]!.done(entry);
}

export class ServerDrain {
  #phase: DrainPhase = 'serving';
  readonly #work = new Set<Entry>();
  #waiters: (() => void)[] = [];

  constructor(
    private readonly server: Server,
    private readonly now: () => number = Date.now,
  ) {}

  get phase(): DrainPhase {
    return this.#phase;
  }

  /** Called first for every request; false when the request was refused (and answered). */
  admit(req: IncomingMessage, res: ServerResponse): boolean {
    if (this.#phase === 'closing') {
      // The body is not wanted; reading it lets the answer and the close go out cleanly.
      req.resume();
      res.setHeader('connection', 'close');
      sendProblem(
        res,
        new GatewayError('ERR_SHUTTING_DOWN', undefined, {
          retryAfterMs: 0,
          detail: 'this instance has stopped taking requests; nothing was done, send it again',
        }),
      );
      return false;
    }
    if (this.#phase === 'draining') res.setHeader('connection', 'close');
    const entry: Entry = { kind: 'request', started: this.now(), response: res };
    this.#work.add(entry);
    const tracked = res as Tracked;
    tracked[ENTRY] = entry;
    tracked[DRAIN] = this;
    // `on`, not `once`: a response closes once, and `once` wraps the listener anew per request.
    res.on('close', responseClosed);
    return true;
  }

  /** Keeps the stop waiting for `work`, which may outlive the request that started it. */
  track<T>(kind: InFlightWork['kind'], what: string, work: Promise<T>): Promise<T> {
    const entry: Entry = { kind, what, started: this.now() };
    this.#work.add(entry);
    return work.finally(() => this.done(entry));
  }

  /** SIGTERM: keep serving, but every answer from now on closes its connection. */
  beginDraining(): void {
    if (this.#phase !== 'serving') return;
    this.#phase = 'draining';
    for (const entry of this.#work) {
      if (entry.response !== undefined && !entry.response.headersSent)
        entry.response.setHeader('connection', 'close');
    }
  }

  /** The end of the grace period: no new connection, no new request; what runs finishes. */
  stopAccepting(): void {
    if (this.#phase === 'closing') return;
    this.beginDraining();
    this.#phase = 'closing';
    // node:http closes the connections that are idle now; the others are closed by #done.
    this.server.close();
  }

  /** Resolves once no request or tracked work is in flight. */
  whenIdle(): Promise<void> {
    if (this.#work.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  inFlight(): InFlightWork[] {
    const now = this.now();
    return [...this.#work].map((entry) => ({
      kind: entry.kind,
      what: entry.what ?? (entry.response !== undefined ? requestLine(entry.response) : '?'),
      ageMs: now - entry.started,
    }));
  }

  /** The work `entry` tracks has ended (its response closed, its promise settled). */
  done(entry: Entry): void {
    // Let go of the response first: V8 keeps a Set's deleted entries reachable until the table is
    // next rebuilt, and an entry still pointing at its response kept every finished request's
    // objects alive past a young-generation collection (about 5 KB a request promoted, which made
    // garbage collection the largest cost of a pass-through call; docs/benchmarks.md run 19).
    entry.response = undefined;
    if (!this.#work.delete(entry)) return;
    // A connection whose answer went out before the drain began kept its keep-alive: now idle, close it.
    if (this.#phase === 'closing') this.server.closeIdleConnections();
    if (this.#work.size > 0) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const resolve of waiters) resolve();
  }
}
