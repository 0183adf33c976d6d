/**
 * @module bench/shipment-load
 * Small tools of the shipments sections (bench/shipments.ts): an autocannon run that keeps every
 * response time, an evenly paced open-loop shipment sender, percentiles, a process's resident
 * memory, and the gateway calls the sections make besides the load itself (one shipment, an
 * account's breaker as `GET /v1/accounts` shows it).
 */
import { readFileSync } from 'node:fs';

import autocannon from 'autocannon';
import { request, type Agent } from 'undici';

export interface LoadRun {
  result: autocannon.Result;
  /** Every response time in ms (autocannon's hrtime; its own histogram keeps whole ms), ascending. */
  latencies: Float64Array;
}

/** One autocannon run in this process, with the response times kept at full resolution. */
export function runCannon(options: autocannon.Options): Promise<LoadRun> {
  return new Promise((resolve, reject) => {
    let latencies = new Float64Array(1 << 16);
    let count = 0;
    const instance = autocannon({ pipelining: 1, ...options }, (error, result) => {
      if (error) reject(error);
      else resolve({ result, latencies: latencies.subarray(0, count).sort() });
    });
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      if (count === latencies.length) {
        const grown = new Float64Array(latencies.length * 2);
        grown.set(latencies);
        latencies = grown;
      }
      latencies[count++] = responseTimeMs;
    });
  });
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

/** Resident set size in MB from /proc; undefined off Linux. */
export function rssMb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface AttemptView {
  account: string;
  outcome: string;
  failure?: { code: string };
}

export interface ShipmentAnswer {
  status: number;
  account: string | undefined;
  failoverFrom: string | null;
  attempts: AttemptView[];
  text: string;
}

/** One `POST /v1/shipments` with a fresh Idempotency-Key, read whole. */
export async function postShipment(
  gatewayUrl: string,
  apiKey: string,
  body: string,
  idempotencyKey: string,
): Promise<ShipmentAnswer> {
  const response = await fetch(`${gatewayUrl}/v1/shipments`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${apiKey}`,
      'content-type': 'application/json',
      'idempotency-key': idempotencyKey,
    },
    body,
  });
  const text = await response.text();
  let attempts: AttemptView[] = [];
  try {
    attempts = ((JSON.parse(text) as { attempts?: AttemptView[] }).attempts ?? []) as AttemptView[];
  } catch {
    // Not JSON: the caller reports the text.
  }
  return {
    status: response.status,
    account: response.headers.get('x-carrier-account') ?? undefined,
    failoverFrom: response.headers.get('x-failover-from'),
    attempts,
    text,
  };
}

export interface BreakerView {
  state: 'closed' | 'open' | 'half_open';
  /** Epoch ms of the last transition (0: never changed). */
  since: number;
  cause: string;
  openUntil?: number;
  generation: number;
}

/** An account's auth breaker as `GET /v1/accounts` shows it to the client. */
export async function breakerOf(gatewayUrl: string, apiKey: string, account: string): Promise<BreakerView> {
  const response = await fetch(`${gatewayUrl}/v1/accounts`, {
    headers: { authorization: `Bearer ${apiKey}` },
  });
  if (!response.ok) throw new Error(`GET /v1/accounts: HTTP ${response.status} ${await response.text()}`);
  const body = (await response.json()) as { accounts: { account: string; breaker?: BreakerView }[] };
  const breaker = body.accounts.find((entry) => entry.account === account)?.breaker;
  if (!breaker) throw new Error(`GET /v1/accounts: no breaker shown for ${account}`);
  return breaker;
}

/**
 * Polls `GET /v1/accounts` every `intervalMs` (one poll at a time) until `accept` holds; resolves
 * with the breaker and `performance.now()` when that answer arrived.
 */
export async function waitForBreaker(
  gatewayUrl: string,
  apiKey: string,
  account: string,
  accept: (breaker: BreakerView) => boolean,
  options: { timeoutMs: number; intervalMs: number; what: string },
): Promise<{ breaker: BreakerView; seenAt: number; polls: number }> {
  const deadline = performance.now() + options.timeoutMs;
  let polls = 0;
  for (;;) {
    const started = performance.now();
    const breaker = await breakerOf(gatewayUrl, apiKey, account);
    polls += 1;
    const seenAt = performance.now();
    if (accept(breaker)) return { breaker, seenAt, polls };
    if (seenAt > deadline) {
      throw new Error(
        `${account}: ${options.what} not seen within ${options.timeoutMs} ms (breaker ${JSON.stringify(breaker)})`,
      );
    }
    const wait = options.intervalMs - (seenAt - started);
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export interface SentShipment {
  /** performance.now() when it was sent, and when its answer was read (undefined: in flight). */
  sentAt: number;
  doneAt?: number;
  /** 0: no answer (socket error). */
  status?: number;
  account?: string;
  failoverFrom?: string;
  attempts?: AttemptView[];
}

/**
 * Shipments at a fixed rate, open loop and evenly paced: each is sent on schedule whether or not
 * earlier ones have been answered, as independent shops would send them. (autocannon's
 * `overallRate` is no substitute: each connection sends its whole per-second quota back to back
 * and then idles, so its latencies measure bursts.) The schedule catches up after a late timer.
 */
export class SteadyShipments {
  readonly sent: SentShipment[] = [];
  readonly #inFlight = new Set<Promise<void>>();
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  startedAt = 0;
  stoppedAt = 0;

  constructor(
    private readonly options: {
      url: string;
      apiKey: string;
      body: string;
      rate: number;
      agent: Agent;
      nextKey: () => string;
    },
  ) {}

  start(): void {
    this.#running = true;
    this.startedAt = performance.now();
    const period = 1000 / this.options.rate;
    let due = this.startedAt;
    const tick = () => {
      if (!this.#running) return;
      const now = performance.now();
      while (due <= now) {
        this.#send();
        due += period;
      }
      this.#timer = setTimeout(tick, Math.max(0, due - performance.now()));
    };
    tick();
  }

  #send(): void {
    const { url, apiKey, body, agent, nextKey } = this.options;
    const record: SentShipment = { sentAt: performance.now() };
    this.sent.push(record);
    const done = (async () => {
      try {
        const response = await request(`${url}/v1/shipments`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${apiKey}`,
            'content-type': 'application/json',
            'idempotency-key': nextKey(),
          },
          body,
          dispatcher: agent,
        });
        const text = await response.body.text();
        record.doneAt = performance.now();
        record.status = response.statusCode;
        const account = response.headers['x-carrier-account'];
        if (typeof account === 'string') record.account = account;
        const from = response.headers['x-failover-from'];
        if (typeof from === 'string') record.failoverFrom = from;
        try {
          record.attempts = (JSON.parse(text) as { attempts?: AttemptView[] }).attempts;
        } catch {
          // Not JSON: the status says enough.
        }
      } catch {
        record.doneAt = performance.now();
        record.status = 0;
      }
    })();
    this.#inFlight.add(done);
    void done.finally(() => this.#inFlight.delete(done));
  }

  /** Resolves once every shipment sent before `time` has its answer (or after `timeoutMs`). */
  async settled(time: number, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    while (this.sent.some((s) => s.sentAt < time && s.doneAt === undefined) && performance.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
  }

  /** Stops sending and waits for every answer. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.stoppedAt = performance.now();
    await Promise.allSettled([...this.#inFlight]);
  }

  /** Sent shipments per second between start and stop. */
  achievedRate(): number {
    const seconds = (this.stoppedAt - this.startedAt) / 1000;
    return seconds > 0 ? this.sent.length / seconds : Number.NaN;
  }
}
