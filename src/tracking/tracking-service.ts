/**
 * @module tracking/tracking-service
 * `GET /v1/tracking/{number}` and `POST /v1/tracking` behind the routes: one carrier call per
 * number through `CarrierApi.request` (credentials, renewal, health), the account's breaker asked
 * first and told after, the answer read by the carrier's tracking adapter, and the status held
 * against going backwards (status-store.ts). A drained or breaker-open account is not called.
 */
import { z } from 'zod';

import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { countsAgainstCarrier, GatewayError, type GatewayErrorCode } from '../core/errors.js';
import type { TrackingEvent, TrackingResult, TrackingStatus } from '../core/tracking-adapter.js';
import type { AuthBreakers, BreakerOutcome } from '../breaker/auth-breaker.js';
import type { AuthenticatedClient } from '../http/clients.js';
import type { AccountOverrides } from '../overrides/overrides.js';
import type { ReadMetrics } from '../metrics/read-metrics.js';
import type { Logger } from '../platform/log.js';
import type { CallTrace, CarrierApi } from '../upstream/carrier-api.js';
import type { StatusStore } from './status-store.js';

/** At most this many numbers per `POST /v1/tracking`. */
export const TRACKING_BATCH_MAX = 50;
/** Carrier calls of one batch in flight at once: a batch must not crowd out everyone else. */
const BATCH_CONCURRENCY = 8;

/**
 * Tracking numbers are letters, digits and dashes: UPS 1Z… (Tracking.yaml: 7 to 34 characters),
 * FedEx digits, USPS digits or S10 (EA123456785US), La Poste 11 to 15 alphanumerics.
 */
export const trackingNumberSchema = z
  .string()
  .regex(/^[A-Za-z0-9-]{4,40}$/, 'a tracking number: 4 to 40 letters, digits or dashes');

export const trackingBatchSchema = z.strictObject({
  account: z.string().min(1).optional(),
  trackingNumbers: z.array(trackingNumberSchema).min(1).max(TRACKING_BATCH_MAX),
});

export interface TrackingAnswer {
  trackingNumber: string;
  account: string;
  carrier: string;
  status: TrackingStatus;
  events: TrackingEvent[];
  estimatedDelivery?: string;
  signedBy?: string;
  /** The carrier reported an earlier status than one already seen: the earlier one is not taken. */
  statusKept?: { carrierStatus: TrackingStatus; since: string };
}

export interface TrackingServiceOptions {
  accounts: ConfiguredAccount[];
  api: CarrierApi;
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  store: StatusStore;
  log: Logger;
  metrics?: ReadMetrics;
}

/** The metrics' outcome for a number that could not be answered: a stable, bounded code. */
function failureOutcome(error: unknown): string {
  if (!(error instanceof GatewayError)) return 'internal_error';
  if (error.code === 'ERR_TRACKING_NOT_FOUND') return 'not_found';
  if (error.code === 'ERR_TRACKING_NOT_SUPPORTED') return 'not_supported';
  if (error.code === 'ERR_REQUEST_INVALID') return 'carrier_rejected';
  // ERR_TRACKING_UNAVAILABLE: its reason, without the token error's code after the colon.
  const reason = error.extensions?.['reason'];
  return typeof reason === 'string' ? reason.split(':')[0]! : 'unavailable';
}

const invalid = (detail: string) => new GatewayError('ERR_REQUEST_INVALID', undefined, { detail });

export class TrackingService {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;

  constructor(private readonly options: TrackingServiceOptions) {
    this.#accounts = accountsById(options.accounts);
  }

  static number(value: string): string {
    const parsed = trackingNumberSchema.safeParse(value);
    if (!parsed.success) throw invalid(`trackingNumber: ${parsed.error.issues[0]!.message}`);
    return parsed.data;
  }

  static batch(body: unknown): z.infer<typeof trackingBatchSchema> {
    const result = trackingBatchSchema.safeParse(body);
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
   * The account named, which the client must be allowed; without one, the client's only account
   * that can track (a client with several must say which carrier the number is from).
   */
  account(client: AuthenticatedClient, id: string | undefined): ConfiguredAccount {
    if (id !== undefined) {
      const account = this.#accounts.get(id);
      if (account === undefined || !client.accounts.includes(id)) {
        throw new GatewayError(account ? 'ERR_ACCOUNT_FORBIDDEN' : 'ERR_ACCOUNT_NOT_FOUND', undefined, {
          account: id,
        });
      }
      return account;
    }
    const tracking = client.accounts
      .map((each) => this.#accounts.get(each))
      .filter((each): each is ConfiguredAccount => each?.descriptor.tracking !== undefined);
    if (tracking.length === 1) return tracking[0]!;
    throw invalid(
      tracking.length === 0
        ? 'none of your accounts can track through the gateway'
        : `name the account the number belongs to (?account=): one of ${tracking.map((each) => each.id).join(', ')}`,
    );
  }

  /**
   * One number; a GatewayError when it cannot be answered. `trace` is the client request's: carried
   * to the carrier, and the carrier's time recorded on it.
   */
  async track(
    account: ConfiguredAccount,
    trackingNumber: string,
    trace?: CallTrace,
  ): Promise<TrackingAnswer> {
    const timing: { ms?: number } = {};
    let outcome = 'tracked';
    try {
      return await this.#track(account, trackingNumber, timing, trace);
    } catch (error) {
      outcome = failureOutcome(error);
      throw error;
    } finally {
      this.options.metrics?.trackingCall(
        account.id,
        account.carrier,
        outcome,
        timing.ms !== undefined ? timing.ms / 1000 : undefined,
      );
    }
  }

  async #track(
    account: ConfiguredAccount,
    trackingNumber: string,
    timing: { ms?: number },
    trace: CallTrace | undefined,
  ): Promise<TrackingAnswer> {
    const id = account.id;
    const adapter = account.descriptor.tracking;
    if (adapter === undefined) {
      throw new GatewayError('ERR_TRACKING_NOT_SUPPORTED', undefined, {
        account: id,
        detail:
          account.descriptor.trackingUnsupported ??
          `${account.descriptor.data.name} has no tracking API here; the pass-through reaches the carrier's own`,
      });
    }
    const unavailable = (reason: string, extra: { carrierCode?: string; upstreamStatus?: number } = {}) =>
      new GatewayError('ERR_TRACKING_UNAVAILABLE', undefined, {
        account: id,
        detail: reason,
        ...extra,
        extensions: { reason },
      });
    if (this.options.overrides.current(id).drained) throw unavailable('drained');
    const permit = await this.options.breakers.permit(id);
    if (permit.kind === 'open') throw unavailable('breaker_open');
    let verdict: BreakerOutcome = 'neutral';
    let cause: string | undefined;
    let result: TrackingResult;
    try {
      const call = adapter.build(trackingNumber);
      const sentAt = performance.now();
      const answer = await this.options.api.request(
        account,
        { method: call.method, path: `/${call.path}`, headers: { ...call.headers }, body: call.body ?? null },
        {
          source: 'tracking',
          // A look-up creates nothing: resending after a refused credential is safe.
          retry: { token: true, dependent: true },
          carrierCode: (status, body) => adapter.errorCode(status, body),
          ...(trace !== undefined ? { trace } : {}),
        },
      );
      timing.ms = performance.now() - sentAt;
      if (answer.kind === 'no_credential') {
        const code = answer.error.code;
        if (countsAgainstCarrier(code)) {
          verdict = 'auth_failure';
          cause = code;
        }
        throw unavailable(`token_unavailable: ${code}`);
      }
      if (answer.kind === 'not_sent') throw unavailable('unreachable');
      if (answer.kind === 'lost') throw unavailable(answer.timedOut ? 'timeout' : 'unreachable');
      const facts = {
        upstreamStatus: answer.status,
        ...(answer.carrierCode !== undefined ? { carrierCode: answer.carrierCode } : {}),
      };
      if (answer.rejected !== null || answer.status === 403) {
        verdict = 'auth_failure';
        cause =
          answer.status === 403 && answer.rejected === null
            ? 'authorization_refused'
            : 'fresh_token_rejected';
        throw unavailable('token_rejected', facts);
      }
      if (answer.status === 429) throw unavailable('throttled', facts);
      if (answer.status >= 500) throw unavailable('carrier_error', facts);
      verdict = 'success';
      const read =
        answer.status < 300 || answer.status === 404
          ? adapter.read(answer.status, answer.body, trackingNumber)
          : undefined;
      if (read === undefined) {
        throw new GatewayError('ERR_REQUEST_INVALID', undefined, {
          account: id,
          ...facts,
          detail: 'the carrier refused the tracking request',
        });
      }
      if (read.kind === 'not_found') {
        throw new GatewayError('ERR_TRACKING_NOT_FOUND', undefined, {
          account: id,
          ...(read.carrierCode !== undefined ? { carrierCode: read.carrierCode } : {}),
        });
      }
      if (read.kind === 'unreadable') throw unavailable('unreadable_answer', facts);
      result = read.result;
    } finally {
      await this.options.breakers.report(id, permit, verdict, cause).catch(() => undefined);
    }
    return this.#held(account, trackingNumber, result);
  }

  /** Many numbers of one account; each failure is an entry in `errors`, never the whole answer's status. */
  async trackMany(
    account: ConfiguredAccount,
    numbers: string[],
    trace?: CallTrace,
  ): Promise<{
    results: TrackingAnswer[];
    errors: { trackingNumber: string; account: string; code: GatewayErrorCode; detail?: string }[];
  }> {
    const unique = [...new Set(numbers)];
    const answers = new Array<TrackingAnswer | GatewayError>(unique.length);
    let next = 0;
    const worker = async () => {
      for (let index = next++; index < unique.length; index = next++) {
        try {
          answers[index] = await this.track(account, unique[index]!, trace);
        } catch (error) {
          answers[index] =
            error instanceof GatewayError
              ? error
              : new GatewayError('ERR_INTERNAL', undefined, { cause: error });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(BATCH_CONCURRENCY, unique.length) }, worker));
    const results: TrackingAnswer[] = [];
    const errors: { trackingNumber: string; account: string; code: GatewayErrorCode; detail?: string }[] = [];
    answers.forEach((answer, index) => {
      if (answer instanceof GatewayError) {
        errors.push({
          trackingNumber: unique[index]!,
          account: account.id,
          code: answer.code,
          ...(answer.detail !== undefined ? { detail: answer.detail } : {}),
        });
      } else results.push(answer);
    });
    return { results, errors };
  }

  async #held(
    account: ConfiguredAccount,
    trackingNumber: string,
    result: TrackingResult,
  ): Promise<TrackingAnswer> {
    const answer: TrackingAnswer = {
      trackingNumber: result.trackingNumber,
      account: account.id,
      carrier: account.carrier,
      status: result.status,
      events: result.events,
      ...(result.estimatedDelivery !== undefined ? { estimatedDelivery: result.estimatedDelivery } : {}),
      ...(result.signedBy !== undefined ? { signedBy: result.signedBy } : {}),
    };
    try {
      const held = await this.options.store.offer(account.id, trackingNumber, result.status);
      if (held.kept) {
        answer.status = held.status;
        answer.statusKept = { carrierStatus: result.status, since: new Date(held.since).toISOString() };
      }
    } catch (error) {
      // Without the store the carrier's word is all there is; the answer is still worth giving.
      this.options.log.warn(
        { account: account.id, err: { message: (error as Error).message } },
        'tracking status not checked against the last one seen',
      );
    }
    return answer;
  }
}
