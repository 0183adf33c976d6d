/**
 * @module shipments/shipment-service
 * `POST /v1/shipments` behind the route: claim the idempotency key, then walk the client's
 * accounts in order until one carrier makes the label.
 *
 * Failover is allowed only while no carrier can have made a label: the breaker is open (or the
 * account drained or failed over by an operator, who may name the target account, outside the
 * client's own list if need be), the token could not be obtained, the carrier rejected a freshly refreshed
 * token (auth fails before any processing), the connection was never made, or the carrier
 * throttled the call. Before leaving an account over a rejected token, the token is refreshed
 * once and the call repeated. Any other answer ends the walk: a label, a refusal of the shipment
 * data, or an outcome nobody knows (timeout or 5xx after the request went out). The last is
 * pinned to its account in the idempotency record, so the client's retry with the same key goes
 * back there, never to another carrier; and it is sent again only to a carrier that deduplicates
 * by a key of its own (USPS `X-Idempotency-Key`), because a resend to one that cannot recognise
 * it could make the second label this gateway exists to prevent.
 */
import { hash, randomUUID } from 'node:crypto';

import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { countsAgainstCarrier, GatewayError } from '../core/errors.js';
import { shipmentRequestSchema, type ShipmentRequest } from '../core/shipment.js';
import type { ShippingCall } from '../core/shipping-adapter.js';
import type { AuthBreakers, BreakerOutcome } from '../breaker/auth-breaker.js';
import type { AuthenticatedClient } from '../http/clients.js';
import type { GatewayMetrics } from '../metrics/registry.js';
import type { AccountOverrides } from '../overrides/overrides.js';
import type { Logger } from '../platform/log.js';
import type { ApiResult, CallTrace, CarrierApi } from '../upstream/carrier-api.js';
import { recordDecision } from '../platform/tracing.js';
import type { Attempt, AttemptOutcome } from './attempt.js';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from './idempotency-store.js';
import { findAtCarrier } from './carrier-calls.js';
import type { ShipmentStore } from './shipment-store.js';

export type { Attempt, AttemptOutcome } from './attempt.js';

/** Attempts after which the next account may be tried: nothing can have been created. */
const SAFE_TO_FAIL_OVER = new Set<AttemptOutcome>([
  'drained',
  'failed_over',
  'breaker_open',
  'not_supported',
  'token_unavailable',
  'token_rejected',
  'unreachable',
  'throttled',
]);

/** RFC 9110: the key is an opaque string; printable ASCII, bounded so it cannot bloat the store. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/** An adapter's reason is our own text about the shipment's fields; bounded all the same. */
const REASON_LIMIT = 300;

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.length > REASON_LIMIT ? `${message.slice(0, REASON_LIMIT)}…` : message;
}

/**
 * Why the adapter refuses the shipment: its `build` names the field (adapters throw with the
 * reason when `supports` is false), and building is pure, so asking costs nothing.
 */
function unsupportedReason(
  shipping: NonNullable<ConfiguredAccount['shipping']>,
  shipment: ShipmentRequest,
  claim: Claim,
): string {
  try {
    shipping.adapter.build({
      shipment,
      settings: shipping.settings,
      carrierIdempotencyKey: claim.record.carrierKey,
      shipmentId: claim.record.shipmentId,
    });
  } catch (error) {
    return reasonOf(error);
  }
  return 'the carrier cannot carry this shipment';
}

function notSupported(account: string, code: string, reason: string): AttemptResult {
  return { attempt: { account, outcome: 'not_supported', failure: { code, reason } } };
}

export interface ShipmentServiceOptions {
  accounts: ConfiguredAccount[];
  /** The one path to carrier APIs: credentials, the one renewal on a refused token, health. */
  api: CarrierApi;
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  idempotency: IdempotencyStore;
  /** Shipment records for lookup, void and in-doubt resolution; absent: none kept. */
  records?: ShipmentStore;
  log: Logger;
  metrics?: GatewayMetrics;
  /** Told about every label made, with the attempts before it (failover alerts). */
  alerts?: { shipmentCreated(attempts: readonly Attempt[]): void };
  /**
   * `failover: "after-resolution"`: how many looks, this far apart, before the request gives up
   * and answers the unknown outcome (the background resolver goes on). Default 3 × 1 s.
   */
  inlineResolution?: { attempts: number; delayMs: number };
  /** How long a claimed key stays ours without renewal (renewed every third of it). */
  leaseMs?: number;
  /**
   * Keeps a graceful stop waiting for every shipment until its outcome is recorded, even one
   * whose client hung up (src/lifecycle/drain.ts).
   */
  inFlight?: { track<T>(kind: 'shipment', what: string, work: Promise<T>): Promise<T> };
}

interface Claim {
  key: string;
  owner: string;
  client: string;
  record: IdempotencyRecord;
  /** The client request's trace: carried to the carrier, and the carrier's time added to it. */
  trace?: CallTrace;
}

interface AttemptResult {
  attempt: Attempt;
  created?: { trackingNumbers: string[]; labels: { format: string; data: string }[] };
}

export class ShipmentService {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  readonly #leaseMs: number;

  constructor(private readonly options: ShipmentServiceOptions) {
    this.#accounts = accountsById(options.accounts);
    this.#leaseMs = options.leaseMs ?? 60_000;
  }

  /** Reads the header value; a structured-field string (`"…"`, the IETF draft) or a bare token. */
  static idempotencyKey(header: string | undefined): string {
    const raw = header?.trim() ?? '';
    const value = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
    if (!IDEMPOTENCY_KEY.test(value)) {
      throw new GatewayError('ERR_IDEMPOTENCY_KEY_INVALID', undefined, {
        detail: 'send an Idempotency-Key header of 1 to 255 printable ASCII characters, unique per shipment',
      });
    }
    return value;
  }

  /** Parses the body; every bad field is named in `detail` and in `errors`. */
  static parse(body: unknown): ShipmentRequest {
    const result = shipmentRequestSchema.safeParse(body);
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

  create(
    client: AuthenticatedClient,
    idempotencyKey: string,
    shipment: ShipmentRequest,
    trace?: CallTrace,
  ): Promise<StoredResponse & { replayed: boolean }> {
    const work = this.#create(client, idempotencyKey, shipment, trace);
    const inFlight = this.options.inFlight;
    return inFlight ? inFlight.track('shipment', `shipment for client ${client.id}`, work) : work;
  }

  async #create(
    client: AuthenticatedClient,
    idempotencyKey: string,
    shipment: ShipmentRequest,
    trace: CallTrace | undefined,
  ): Promise<StoredResponse & { replayed: boolean }> {
    const order = shipment.accounts ?? [...client.accounts];
    for (const id of order) this.#authorize(client, id);

    // crypto.hash, one call: a Hash object per digest costs more than the digest (Node >= 20.12).
    const key = hash('sha256', `${client.id}\n${idempotencyKey}`, 'hex');
    const owner = randomUUID();
    const fresh: IdempotencyRecord = {
      fingerprint: hash('sha256', JSON.stringify(shipment), 'hex'),
      shipmentId: `shp_${randomUUID().replaceAll('-', '')}`,
      carrierKey: randomUUID(),
      state: 'in_progress',
    };
    const begun = await this.options.idempotency.begin(key, owner, fresh, this.#leaseMs);
    if (begun.kind === 'mismatch') throw new GatewayError('ERR_IDEMPOTENCY_KEY_REUSED');
    if (begun.kind === 'in_use') {
      throw new GatewayError('ERR_IDEMPOTENCY_KEY_IN_USE', undefined, { retryAfterMs: 1_000 });
    }
    if (begun.kind === 'completed') return { ...begun.record.response!, replayed: true };

    const claim: Claim = {
      key,
      owner,
      client: client.id,
      record: begun.record,
      ...(trace !== undefined ? { trace } : {}),
    };
    const renewal = setInterval(() => {
      this.options.idempotency.renew(key, owner, this.#leaseMs).catch(() => undefined);
    }, this.#leaseMs / 3);
    renewal.unref();
    try {
      // A retry after an unknown outcome goes back to the account that may hold the label.
      const pinned = begun.kind === 'resumed' ? begun.record.account : undefined;
      return {
        ...(await this.#walk(claim, shipment, pinned ? [pinned] : order, pinned !== undefined)),
        replayed: false,
      };
    } finally {
      clearInterval(renewal);
    }
  }

  #authorize(client: AuthenticatedClient, id: string): void {
    // Another client's account is answered as an unknown one: ids are not disclosed (issue 12.8).
    if (!client.accounts.includes(id) || !this.#accounts.has(id)) {
      throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: id });
    }
  }

  async #walk(
    claim: Claim,
    shipment: ShipmentRequest,
    order: string[],
    pinned: boolean,
  ): Promise<StoredResponse> {
    const attempts: Attempt[] = [];
    const queue = [...order];
    const visited = new Set<string>();
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      if (visited.has(id)) continue;
      visited.add(id);
      const account = this.#accounts.get(id)!;
      // A manual failover sends the shipment on (to the operator's target first, when named);
      // never a pinned retry, which must go back to the account that may hold the label.
      const failover = pinned ? undefined : this.options.overrides.current(id).failover;
      if (failover !== undefined) {
        attempts.push({ account: id, outcome: 'failed_over', failure: { code: 'manual_failover' } });
        this.options.metrics?.attempt(id, 'failed_over');
        recordDecision(
          'shipment.failover',
          { from: id, reason: 'manual_failover', ...(failover.to !== undefined ? { to: failover.to } : {}) },
          claim.trace,
        );
        if (failover.to !== undefined && this.#accounts.has(failover.to)) queue.unshift(failover.to);
        continue;
      }
      const deduplicates = account.shipping?.adapter.idempotencyHeader !== undefined;
      // Sending again to a carrier that cannot recognise the first request could make a second
      // label; the outcome stays unknown until someone looks (see the detail below).
      const result: AttemptResult =
        pinned && !deduplicates
          ? {
              attempt: {
                account: id,
                outcome: 'outcome_unknown',
                failure: { code: 'carrier_cannot_deduplicate' },
              },
            }
          : await this.#attempt(claim, account, shipment);
      attempts.push(result.attempt);
      this.options.metrics?.attempt(id, result.attempt.outcome);
      if (result.created) return this.#created(claim, account, shipment, attempts, result.created);
      if (result.attempt.outcome === 'rejected') {
        await this.#settle(claim, () => this.options.idempotency.release(claim.key, claim.owner));
        throw new GatewayError('ERR_SHIPMENT_REJECTED', undefined, {
          account: id,
          ...(result.attempt.failure?.carrierCode !== undefined
            ? { carrierCode: result.attempt.failure.carrierCode }
            : {}),
          ...(result.attempt.failure?.upstreamStatus !== undefined
            ? { upstreamStatus: result.attempt.failure.upstreamStatus }
            : {}),
          detail:
            'the carrier refused the shipment data; nothing was created and the Idempotency-Key is free again',
          extensions: { attempts },
        });
      }
      if (
        !pinned &&
        result.attempt.outcome === 'outcome_unknown' &&
        shipment.failover === 'after-resolution'
      ) {
        // The client asked to fail over once the label is known not to exist, and only then.
        const known = await this.#resolveNow(claim, account, shipment);
        if (known.kind === 'found') {
          attempts[attempts.length - 1] = { account: id, outcome: 'created' };
          return this.#created(claim, account, shipment, attempts, {
            trackingNumbers: known.trackingNumbers,
            labels: known.labels ?? [],
          });
        }
        if (known.kind === 'absent') {
          attempts[attempts.length - 1] = {
            account: id,
            outcome: 'outcome_unknown',
            failure: { ...result.attempt.failure, code: 'resolved_absent' },
          };
          continue;
        }
      }
      if (!SAFE_TO_FAIL_OVER.has(result.attempt.outcome) || pinned) {
        // Either it happened now, or it happened before and this retry could not settle it.
        await this.#settle(claim, () => this.options.idempotency.markUnknown(claim.key, claim.owner, id));
        await this.#keep(claim, account, shipment, attempts, 'unknown');
        throw new GatewayError('ERR_SHIPMENT_OUTCOME_UNKNOWN', undefined, {
          account: id,
          ...(result.attempt.failure?.upstreamStatus !== undefined
            ? { upstreamStatus: result.attempt.failure.upstreamStatus }
            : {}),
          detail: deduplicates
            ? `account ${id} may have created the label; retry with the same Idempotency-Key and it goes to ${id} again, which returns that label if it exists`
            : `account ${id} may have created the label and its carrier cannot deduplicate a resend, so the gateway will not send it again: look for the shipment reference at the carrier; a new Idempotency-Key ships anew`,
          extensions: { attempts, shipmentId: claim.record.shipmentId, carrierDeduplicates: deduplicates },
        });
      }
      // No label can exist at this account: the walk moves on.
      recordDecision('shipment.failover', { from: id, reason: result.attempt.outcome }, claim.trace);
    }
    await this.#settle(claim, () => this.options.idempotency.release(claim.key, claim.owner));
    const violations = attempts.flatMap((attempt) =>
      (attempt.failure?.violations ?? []).map((violation) => ({ account: attempt.account, ...violation })),
    );
    if (violations.length > 0) {
      // The shipment is what has to change: say what each carrier requires, not "try later".
      throw new GatewayError('ERR_SHIPMENT_RULES_UNMET', undefined, {
        detail: violations
          .map(
            (violation) =>
              `${violation.account}: ${violation.field}: ${violation.rule} (${violation.source})`,
          )
          .join('; '),
        extensions: { violations, attempts },
      });
    }
    // No account could carry it at all: the shipment is the problem, not the carriers' state,
    // and sending it again will not help (issue 12, point 4).
    if (attempts.length > 0 && attempts.every((attempt) => attempt.outcome === 'not_supported')) {
      throw new GatewayError('ERR_SHIPMENT_NOT_SUPPORTED', undefined, {
        detail: `none of the client's accounts can carry this shipment: ${attempts
          .map((attempt) => `${attempt.account}: ${attempt.failure?.reason ?? attempt.failure?.code ?? ''}`)
          .join('; ')}`,
        extensions: { attempts },
      });
    }
    throw new GatewayError('ERR_NO_ACCOUNT_AVAILABLE', undefined, {
      detail:
        'no account took the shipment and none can have created a label; the Idempotency-Key is free again',
      extensions: { attempts },
    });
  }

  /** Looks for the label the carrier may have made, a bounded number of times (failover after resolution). */
  async #resolveNow(claim: Claim, account: ConfiguredAccount, shipment: ShipmentRequest) {
    const { attempts, delayMs } = this.options.inlineResolution ?? { attempts: 3, delayMs: 1_000 };
    for (let look = 0; look < attempts; look += 1) {
      if (look > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      const answer = await findAtCarrier(
        this.options.api,
        account,
        {
          settings: account.shipping!.settings,
          trackingNumbers: [],
          shipment,
          carrierIdempotencyKey: claim.record.carrierKey,
          shipmentId: claim.record.shipmentId,
        },
        this.options.records,
        {
          id: claim.record.shipmentId,
          client: claim.client,
          ...(shipment.reference !== undefined ? { reference: shipment.reference } : {}),
        },
      ).catch(() => ({ kind: 'unknown' as const }));
      if (answer.kind !== 'unknown') return answer;
      await this.options.idempotency.renew(claim.key, claim.owner, this.#leaseMs).catch(() => false);
    }
    return { kind: 'unknown' as const };
  }

  /**
   * Records how the request ended. A failure here must not hide the answer (a label made is a
   * label made); the record's lease then runs out and a retry resumes on the pinned account.
   */
  async #settle(claim: Claim, write: () => Promise<boolean>): Promise<boolean> {
    try {
      return await write();
    } catch (error) {
      this.options.log.error(
        { shipmentId: claim.record.shipmentId, err: { message: (error as Error).message } },
        'idempotency record not updated',
      );
      return false;
    }
  }

  /**
   * Keeps the shipment record (lookup, void, resolution). Written after the idempotency record,
   * which alone decides what a retry does; a failure here is logged, never hides the answer.
   */
  async #keep(
    claim: Claim,
    account: ConfiguredAccount,
    shipment: ShipmentRequest,
    attempts: Attempt[],
    status: 'created' | 'unknown',
    created?: NonNullable<AttemptResult['created']>,
  ): Promise<void> {
    const records = this.options.records;
    if (!records) return;
    const now = new Date();
    try {
      await records.save(
        {
          id: claim.record.shipmentId,
          client: claim.client,
          idempotencyKey: claim.key,
          carrierKey: claim.record.carrierKey,
          status,
          account: account.id,
          carrier: account.carrier,
          ...(shipment.reference !== undefined ? { reference: shipment.reference } : {}),
          trackingNumbers: created?.trackingNumbers ?? [],
          attempts,
          createdAt: now.toISOString(),
          updatedAt: now.toISOString(),
          labelsUntil: now.getTime() + records.labelRetentionMs,
          // A resend or a lookup needs the shipment as it was sent; a created one does not.
          ...(status === 'unknown' ? { request: shipment } : {}),
        },
        created?.labels,
      );
    } catch (error) {
      this.options.log.error(
        { shipmentId: claim.record.shipmentId, err: { message: (error as Error).message } },
        'shipment record not written',
      );
    }
  }

  async #created(
    claim: Claim,
    account: ConfiguredAccount,
    shipment: ShipmentRequest,
    attempts: Attempt[],
    created: NonNullable<AttemptResult['created']>,
  ): Promise<StoredResponse> {
    const body = {
      id: claim.record.shipmentId,
      account: account.id,
      carrier: account.carrier,
      ...(shipment.reference !== undefined ? { reference: shipment.reference } : {}),
      trackingNumbers: created.trackingNumbers,
      labels: created.labels,
      attempts,
    };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-carrier-account': account.id,
    };
    const skipped = attempts
      .filter((attempt) => attempt.account !== account.id)
      .map((attempt) => attempt.account);
    if (skipped.length > 0) {
      headers['x-failover-from'] = skipped.join(', ');
      this.options.metrics?.failover(skipped[0]!, account.id);
    }
    const response: StoredResponse = { status: 201, headers, body: JSON.stringify(body) };
    this.options.alerts?.shipmentCreated(attempts);
    const stored = await this.#settle(claim, () =>
      this.options.idempotency.complete(claim.key, claim.owner, response),
    );
    await this.#keep(claim, account, shipment, attempts, 'created', created);
    if (!stored) {
      this.options.log.error(
        { account: account.id, shipmentId: claim.record.shipmentId },
        'label created but the idempotency record was no longer ours; a retry may reach the carrier again',
      );
    }
    return response;
  }

  async #attempt(
    claim: Claim,
    account: ConfiguredAccount,
    shipment: ShipmentRequest,
  ): Promise<AttemptResult> {
    const id = account.id;
    const skip = (outcome: AttemptOutcome, code: string): AttemptResult => ({
      attempt: { account: id, outcome, failure: { code } },
    });
    if (this.options.overrides.current(id).drained) return skip('drained', 'drained');
    const shipping = account.shipping;
    if (!shipping) {
      return notSupported(id, 'shipping_not_configured', 'the account has no shipping settings');
    }
    if (shipping.adapter.supports && !shipping.adapter.supports(shipment)) {
      return notSupported(id, 'shipment_not_supported', unsupportedReason(shipping, shipment, claim));
    }
    // The carrier's lane and party rules, before the breaker and before any call.
    const unfit = shipping.adapter.check?.(shipment);
    if (unfit?.kind === 'not_supported') return notSupported(id, 'shipment_not_supported', unfit.reason);
    if (unfit?.kind === 'rules_unmet') {
      return {
        attempt: {
          account: id,
          outcome: 'not_supported',
          failure: {
            code: 'carrier_rules_unmet',
            reason: `the carrier requires ${unfit.violations.map((violation) => violation.field).join(', ')} here`,
            violations: unfit.violations,
          },
        },
      };
    }
    const permit = await this.options.breakers.permit(id);
    if (permit.kind === 'open') return skip('breaker_open', permit.cause);

    let verdict: BreakerOutcome = 'neutral';
    let cause: string | undefined;
    try {
      let call: ShippingCall;
      try {
        call = shipping.adapter.build({
          shipment,
          settings: shipping.settings,
          carrierIdempotencyKey: claim.record.carrierKey,
          shipmentId: claim.record.shipmentId,
        });
      } catch (error) {
        // The adapter cannot express this shipment (a field beyond the carrier's limits, say).
        this.options.log.warn(
          { account: id, err: { message: (error as Error).message } },
          'shipment not buildable',
        );
        return notSupported(id, 'shipment_not_supported', reasonOf(error));
      }
      const outcome = await this.#send(claim, account, call);
      verdict = outcome.verdict;
      cause = outcome.cause;
      return outcome.result;
    } finally {
      await this.options.breakers.report(id, permit, verdict, cause).catch(() => undefined);
    }
  }

  /** One label request through the carrier path, and what its end means for the walk and the breaker. */
  async #send(
    claim: Claim,
    account: ConfiguredAccount,
    call: ShippingCall,
  ): Promise<{ result: AttemptResult; verdict: BreakerOutcome; cause?: string }> {
    const id = account.id;
    const adapter = account.shipping!.adapter;
    const answer = await this.options.api.request(
      account,
      { method: call.method, path: `/${call.path}`, headers: { ...call.headers }, body: call.body },
      {
        source: 'shipment',
        // Auth fails before any processing: the carrier made nothing, so a resend is safe.
        retry: { token: true, dependent: true },
        beforeSend: async () => {
          // From here on the label may exist: a retry of this key must come back to this account.
          const pinned = await this.options.idempotency.pin(claim.key, claim.owner, id, this.#leaseMs);
          if (!pinned) throw new GatewayError('ERR_IDEMPOTENCY_KEY_IN_USE', undefined, { account: id });
        },
        carrierCode: (status, body) => adapter.errorCode(status, body),
        ...(claim.trace !== undefined ? { trace: claim.trace } : {}),
        ...(adapter.answerEncoding !== undefined ? { encoding: adapter.answerEncoding } : {}),
      },
    );
    return this.#interpret(account, answer);
  }

  #interpret(
    account: ConfiguredAccount,
    answer: ApiResult,
  ): { result: AttemptResult; verdict: BreakerOutcome; cause?: string } {
    const id = account.id;
    const ended = (outcome: AttemptOutcome, verdict: BreakerOutcome, failure?: Attempt['failure']) => ({
      result: { attempt: { account: id, outcome, ...(failure !== undefined ? { failure } : {}) } },
      verdict,
    });
    if (answer.kind === 'no_credential') {
      const code = answer.error.code;
      return {
        ...ended('token_unavailable', countsAgainstCarrier(code) ? 'auth_failure' : 'neutral', { code }),
        cause: code,
      };
    }
    if (answer.kind === 'not_sent') return ended('unreachable', 'neutral', { code: answer.code });
    if (answer.kind === 'lost') {
      return ended('outcome_unknown', 'neutral', {
        code: answer.timedOut ? 'ERR_CARRIER_TIMEOUT' : 'ERR_CARRIER_UNREACHABLE',
      });
    }
    const failure = (code: string): Attempt['failure'] => ({
      code,
      upstreamStatus: answer.status,
      ...(answer.carrierCode !== undefined ? { carrierCode: answer.carrierCode } : {}),
    });
    if (answer.rejected !== null || answer.status === 403) {
      // Refused before any processing: a token the carrier would not take even fresh, a static
      // key it refuses, or a permission the account lacks (403). Nothing was made.
      const code =
        answer.status === 403 && answer.rejected === null ? 'authorization_refused' : 'fresh_token_rejected';
      return { ...ended('token_rejected', 'auth_failure', failure(code)), cause: code };
    }
    if (answer.status >= 200 && answer.status < 300) {
      const read = account.shipping!.adapter.readSuccess(answer.status, answer.body);
      if (read.kind === 'created') {
        return {
          result: {
            attempt: { account: id, outcome: 'created' },
            created: { trackingNumbers: read.trackingNumbers, labels: read.labels },
          },
          verdict: 'success',
        };
      }
      if (read.kind === 'rejected') {
        // Some carriers refuse the data inside a 2xx (Colissimo: an ERROR message and no label).
        return ended('rejected', 'success', {
          code: 'carrier_rejected',
          upstreamStatus: answer.status,
          ...(read.carrierCode !== undefined ? { carrierCode: read.carrierCode } : {}),
        });
      }
      // The carrier took the token; what it made of the shipment is what nobody knows.
      return ended('outcome_unknown', 'success', {
        code: 'unreadable_answer',
        upstreamStatus: answer.status,
      });
    }
    if (answer.status === 429) return ended('throttled', 'neutral', failure('ERR_CARRIER_THROTTLED'));
    if (answer.status >= 500) return ended('outcome_unknown', 'neutral', failure('carrier_server_error'));
    // A 4xx about the shipment: the carrier accepted the credentials and refused the data.
    return ended('rejected', 'success', failure('carrier_rejected'));
  }
}
