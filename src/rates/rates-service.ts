/**
 * @module rates/rates-service
 * `POST /v1/rates` behind the route: ask every account that can price the shipment at once, and
 * answer at the deadline with what has arrived (or as soon as everything has). A slow carrier
 * never holds up the others: each account is its own promise, the answer waits on the deadline
 * timer or on all of them, whichever comes first, and the calls still out are then aborted.
 *
 * Each call takes the path every carrier call takes (`CarrierApi.request`: credentials, the one
 * renewal of a refused token, transport, health), and the account's breaker is asked first and
 * told after, as for labels. A rate request creates nothing, so a refused token is renewed and
 * the call resent as freely as the pass-through does for a GET.
 */
import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { countsAgainstCarrier, GatewayError } from '../core/errors.js';
import { rateRequestSchema, type RateQuote, type RateRequest } from '../core/rates-adapter.js';
import type { AuthBreakers, BreakerOutcome } from '../breaker/auth-breaker.js';
import type { AuthenticatedClient } from '../http/clients.js';
import type { AccountOverrides } from '../overrides/overrides.js';
import type { ReadMetrics } from '../metrics/read-metrics.js';
import type { Logger } from '../platform/log.js';
import type { ApiResult, CallTrace, CarrierApi } from '../upstream/carrier-api.js';
import { rateKey, type RatesCache } from './rates-cache.js';

/** Why an account has no prices in the answer (README, "Rates"). */
export type RateErrorCode =
  | 'drained'
  | 'breaker_open'
  | 'not_supported'
  | 'deadline_exceeded'
  | 'token_unavailable'
  | 'token_rejected'
  | 'unreachable'
  | 'timeout'
  | 'throttled'
  | 'carrier_rejected'
  | 'carrier_error'
  | 'unreadable_answer';

export interface RateError {
  account: string;
  code: RateErrorCode;
  detail?: string;
  carrierCode?: string;
  upstreamStatus?: number;
}

export interface AccountRate extends RateQuote {
  account: string;
  carrier: string;
  /** Served from the rates cache, not asked of the carrier for this request. */
  cached?: true;
}

export interface RatesResult {
  rates: AccountRate[];
  errors: RateError[];
}

export interface RatesServiceOptions {
  accounts: ConfiguredAccount[];
  api: CarrierApi;
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  log: Logger;
  /** Off when absent (`rates.cacheTtlSeconds` unset or 0). */
  cache?: RatesCache;
  metrics?: ReadMetrics;
}

/** When an account's carrier call started and how long it took (set only when the carrier is called). */
interface CallTiming {
  startedAt?: number;
  ms?: number;
}

/** How long before the deadline the answer is prepared, at least (5 % of a short deadline). */
export const DEADLINE_MARGIN_MS = 20;
/** The margin never takes more than this share of the deadline, however late timers have been. */
export const MAX_MARGIN_SHARE = 0.1;
/** Deadline timers remembered for their lateness, and for how long. */
const LATENESS_SAMPLES = 32;
const LATENESS_WINDOW_MS = 60_000;

/**
 * How long before the deadline to aim the answer: the fixed margin (for writing the answer) plus
 * how late this process's recent deadline timers fired (the 90th percentile of those seen in the
 * last minute): on a busy machine a timer fires late by about the event loop's current lag, and an
 * answer aimed at the deadline itself then leaves after it. Never more than a tenth of the deadline.
 */
export function deadlineMargin(deadlineMs: number, recentLatenessMs: readonly number[]): number {
  const base = Math.min(DEADLINE_MARGIN_MS, deadlineMs * 0.05);
  let late = 0;
  if (recentLatenessMs.length > 0) {
    const sorted = [...recentLatenessMs].sort((a, b) => a - b);
    late = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.9))]!;
  }
  return Math.min(base + Math.max(0, late), deadlineMs * MAX_MARGIN_SHARE);
}

/**
 * The abort's reason, made once: undici ends the exchange with it, and building an error (its
 * stack) on every deadline is work nobody reads.
 */
const DEADLINE_REASON = Object.assign(new Error('rates deadline reached'), { code: 'RATES_DEADLINE' });

type Outcome = { rates: RateQuote[]; cached?: true } | { error: Omit<RateError, 'account'> };

export class RatesService {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  /** The last deadline timers' lateness (ms) and when each fired, oldest overwritten first. */
  readonly #lateness: { ms: number; at: number }[] = [];
  #latenessNext = 0;

  constructor(private readonly options: RatesServiceOptions) {
    this.#accounts = accountsById(options.accounts);
  }

  /** Parses the body; every bad field is named in `detail` and in `errors`. */
  static parse(body: unknown): RateRequest {
    const result = rateRequestSchema.safeParse(body);
    if (result.success) return result.data;
    const errors = result.error.issues.map((issue) => ({
      field: issue.path.map(String).join('.') || '(body)',
      message: issue.message,
    }));
    throw new GatewayError('ERR_REQUEST_INVALID', undefined, {
      detail: errors.map((error) => `${error.field}: ${error.message}`).join('; '),
      extensions: { errors },
    });
  }

  /**
   * Prices from every account asked. `startedAt` (performance.now()) is when the request arrived:
   * the deadline counts from there, so reading and parsing the body come out of it too. `trace`
   * is the client request's: carried to each carrier, and the time they are out recorded on it
   * (side by side, so the fan-out counts as long as its longest call, cut calls to the answer).
   */
  async quote(
    client: AuthenticatedClient,
    request: RateRequest,
    startedAt: number = performance.now(),
    trace?: CallTrace,
  ): Promise<RatesResult> {
    const ids = [...new Set(request.accounts ?? client.accounts)];
    // Every account is checked before any is asked: a bad list changes nothing anywhere.
    for (const id of ids) this.#authorize(client, id);
    const settled = new Map<string, Outcome>();
    const controller = new AbortController();
    const timings = ids.map((): CallTiming => ({}));
    const asks = ids.map((id, index) =>
      this.#ask(this.#accounts.get(id)!, request, controller.signal, timings[index]!, trace).then(
        (outcome) => void settled.set(id, outcome),
        (error: unknown) => {
          this.options.log.error(
            { account: id, err: { message: (error as Error).message } },
            'rate request failed',
          );
          settled.set(id, { error: { code: 'carrier_error' } });
        },
      ),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => {
      // Timers fire late on a busy event loop, and the answer still has to be written: aim before
      // the deadline by the fixed margin and by how late recent deadline timers were.
      const due = startedAt + request.deadlineMs - deadlineMargin(request.deadlineMs, this.#recentLateness());
      timer = setTimeout(
        () => {
          this.#timerFired(performance.now() - due);
          resolve();
        },
        Math.max(0, due - performance.now()),
      );
    });
    await Promise.race([Promise.all(asks), deadline]);
    clearTimeout(timer);
    const answeredAt = performance.now();

    const result: RatesResult = { rates: [], errors: [] };
    const metrics = this.options.metrics;
    for (const [index, id] of ids.entries()) {
      const account = this.#accounts.get(id)!;
      const outcome = settled.get(id) ?? {
        error: { code: 'deadline_exceeded', detail: `no answer within ${request.deadlineMs} ms` },
      };
      if (metrics !== undefined) {
        const timing = timings[index]!;
        // A call still out is counted up to the answer: that is how long the client waited for it.
        const ms = timing.ms ?? (timing.startedAt !== undefined ? answeredAt - timing.startedAt : undefined);
        const label = 'error' in outcome ? outcome.error.code : outcome.cached ? 'cached' : 'rated';
        metrics.rateCall(id, account.carrier, label, ms !== undefined ? ms / 1000 : undefined);
      }
      if ('error' in outcome) result.errors.push({ account: id, ...outcome.error });
      else {
        for (const rate of outcome.rates) {
          result.rates.push({
            account: id,
            carrier: account.carrier,
            ...rate,
            ...(outcome.cached ? { cached: true as const } : {}),
          });
        }
      }
    }
    // What is still out will not be waited for: end its exchange instead of leaving it running.
    // After the answer, not before: aborting runs the transport's teardown synchronously (about
    // 100 ms measured on a loaded machine under tsx), which is cleanup, not part of the answer.
    if (settled.size < ids.length) setImmediate(() => controller.abort(DEADLINE_REASON));
    metrics?.ratesAnswered((answeredAt - startedAt) / 1000);
    return result;
  }

  #timerFired(lateMs: number): void {
    const sample = { ms: Math.max(0, lateMs), at: performance.now() };
    if (this.#lateness.length < LATENESS_SAMPLES) this.#lateness.push(sample);
    else this.#lateness[this.#latenessNext] = sample;
    this.#latenessNext = (this.#latenessNext + 1) % LATENESS_SAMPLES;
  }

  #recentLateness(): number[] {
    const since = performance.now() - LATENESS_WINDOW_MS;
    const recent: number[] = [];
    for (const sample of this.#lateness) if (sample.at >= since) recent.push(sample.ms);
    return recent;
  }

  #authorize(client: AuthenticatedClient, id: string): void {
    if (!client.accounts.includes(id) || !this.#accounts.has(id)) {
      throw new GatewayError(
        this.#accounts.has(id) ? 'ERR_ACCOUNT_FORBIDDEN' : 'ERR_ACCOUNT_NOT_FOUND',
        undefined,
        {
          account: id,
        },
      );
    }
  }

  async #ask(
    account: ConfiguredAccount,
    request: RateRequest,
    signal: AbortSignal,
    timing: CallTiming,
    trace: CallTrace | undefined,
  ): Promise<Outcome> {
    const id = account.id;
    const fail = (code: RateErrorCode, detail?: string): Outcome => ({
      error: { code, ...(detail !== undefined ? { detail } : {}) },
    });
    if (this.options.overrides.current(id).drained)
      return fail('drained', 'an operator drained this account');
    const adapter = account.descriptor.rates;
    if (adapter === undefined)
      return fail('not_supported', `${account.descriptor.data.name} has no rate API here`);
    if (adapter.supports && !adapter.supports(request)) {
      return fail('not_supported', `${account.descriptor.data.name} does not price this shipment`);
    }
    if (adapter.needsShippingSettings && account.shipping === undefined) {
      return fail(
        'not_supported',
        'the account has no shipping block (the carrier rates for an account number)',
      );
    }
    const cache = this.options.cache;
    const key = cache ? rateKey(id, request) : '';
    const cached = cache?.get(key);
    if (cached !== undefined) return { rates: cached, cached: true };

    const permit = await this.options.breakers.permit(id);
    if (permit.kind === 'open') return fail('breaker_open', permit.cause);
    let verdict: BreakerOutcome = 'neutral';
    let cause: string | undefined;
    try {
      let call;
      try {
        call = adapter.build({ shipment: request, settings: account.shipping?.settings });
      } catch (error) {
        return fail('not_supported', (error as Error).message);
      }
      if (signal.aborted) return fail('deadline_exceeded');
      timing.startedAt = performance.now();
      const answer = await this.options.api.request(
        account,
        {
          method: call.method,
          path: `/${call.path}`,
          headers: { ...call.headers },
          body: call.body ?? null,
        },
        {
          source: 'rates',
          // Nothing is created by a rate request: resending after a refused credential is safe.
          retry: { token: true, dependent: true },
          carrierCode: (status, body) => adapter.errorCode(status, body),
          signal,
          ...(trace !== undefined ? { trace } : {}),
        },
      );
      timing.ms = performance.now() - timing.startedAt;
      const read = this.#interpret(answer, (body) => adapter.read(body), signal);
      verdict = read.verdict;
      cause = read.cause;
      if ('rates' in read.outcome && cache) cache.set(key, read.outcome.rates);
      return read.outcome;
    } finally {
      await this.options.breakers.report(id, permit, verdict, cause).catch(() => undefined);
    }
  }

  #interpret(
    answer: ApiResult,
    read: (body: string) => ReturnType<NonNullable<ConfiguredAccount['descriptor']['rates']>['read']>,
    signal: AbortSignal,
  ): { outcome: Outcome; verdict: BreakerOutcome; cause?: string } {
    const neutral = (code: RateErrorCode, extra: Omit<RateError, 'account' | 'code'> = {}) => ({
      outcome: { error: { code, ...extra } },
      verdict: 'neutral' as BreakerOutcome,
    });
    if (answer.kind === 'no_credential') {
      const code = answer.error.code;
      return {
        outcome: { error: { code: 'token_unavailable', detail: code } },
        verdict: countsAgainstCarrier(code) ? 'auth_failure' : 'neutral',
        cause: code,
      };
    }
    if (answer.kind === 'not_sent') return neutral('unreachable', { detail: answer.code });
    if (answer.kind === 'lost') {
      if (signal.aborted) return neutral('deadline_exceeded');
      return neutral(answer.timedOut ? 'timeout' : 'unreachable', { detail: answer.code });
    }
    const facts = {
      upstreamStatus: answer.status,
      ...(answer.carrierCode !== undefined ? { carrierCode: answer.carrierCode } : {}),
    };
    if (answer.rejected !== null || answer.status === 403) {
      const code =
        answer.status === 403 && answer.rejected === null ? 'authorization_refused' : 'fresh_token_rejected';
      return {
        outcome: { error: { code: 'token_rejected', detail: code, ...facts } },
        verdict: 'auth_failure',
        cause: code,
      };
    }
    if (answer.status >= 200 && answer.status < 300) {
      const rates = read(answer.body);
      if (rates.kind === 'rated') return { outcome: { rates: rates.rates }, verdict: 'success' };
      return { outcome: { error: { code: 'unreadable_answer', ...facts } }, verdict: 'success' };
    }
    if (answer.status === 429) return neutral('throttled', facts);
    if (answer.status >= 500) return neutral('carrier_error', facts);
    // A 4xx about the shipment: the carrier took the credentials and refused the data.
    return { outcome: { error: { code: 'carrier_rejected', ...facts } }, verdict: 'success' };
  }
}
