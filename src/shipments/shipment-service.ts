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
import { createHash, randomUUID } from 'node:crypto';

import type { ConfiguredAccount } from '../../carriers/registry.js';
import type { ShippingCall } from '../../carriers/shipping.js';
import type { StoredToken } from '../auth/token-store.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { AuthBreakers, BreakerOutcome } from '../breaker/auth-breaker.js';
import type { AuthenticatedClient } from '../clients.js';
import { GatewayError, isGatewayError, type GatewayErrorCode } from '../errors.js';
import type { Logger } from '../log.js';
import { hasChallenge } from '../proxy/proxy-handler.js';
import type { HealthRecorder } from '../health/recorder.js';
import { classifyError, type FailureClass } from '../health/taxonomy.js';
import type { GatewayMetrics } from '../metrics/registry.js';
import type { AccountOverrides } from '../routing/overrides.js';
import type { CarrierCaller, CallResult } from './carrier-call.js';
import type { IdempotencyRecord, IdempotencyStore, StoredResponse } from './idempotency-store.js';
import { shipmentRequestSchema, type ShipmentRequest } from './model.js';

export type AttemptOutcome =
  | 'created'
  | 'drained'
  | 'failed_over'
  | 'breaker_open'
  | 'not_supported'
  | 'token_unavailable'
  | 'token_rejected'
  | 'unreachable'
  | 'throttled'
  | 'rejected'
  | 'outcome_unknown';

export interface Attempt {
  account: string;
  outcome: AttemptOutcome;
  failure?: { code: string; carrierCode?: string; upstreamStatus?: number };
}

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

/** Token failures that say something about the carrier's authentication (they count on the breaker). */
const NOT_ABOUT_THE_CARRIER = new Set<GatewayErrorCode>([
  'ERR_LOCK_TIMEOUT',
  'ERR_REDIS_UNAVAILABLE',
  'ERR_DEPENDENT_TOKEN_NOT_CONFIGURED',
  'ERR_INTERNAL',
]);

/** RFC 9110: the key is an opaque string; printable ASCII, bounded so it cannot bloat the store. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

export interface ShipmentServiceOptions {
  accounts: ConfiguredAccount[];
  engine: TokenEngine;
  breakers: AuthBreakers;
  overrides: AccountOverrides;
  idempotency: IdempotencyStore;
  caller: CarrierCaller;
  log: Logger;
  metrics?: GatewayMetrics;
  health?: HealthRecorder;
  /** Told about every label made, with the attempts before it (failover alerts). */
  alerts?: { shipmentCreated(attempts: readonly Attempt[]): void };
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
  record: IdempotencyRecord;
}

interface AttemptResult {
  attempt: Attempt;
  created?: { trackingNumbers: string[]; labels: { format: string; data: string }[] };
}

export class ShipmentService {
  readonly #accounts: Map<string, ConfiguredAccount>;
  readonly #leaseMs: number;

  constructor(private readonly options: ShipmentServiceOptions) {
    this.#accounts = new Map(options.accounts.map((account) => [account.id, account]));
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
  ): Promise<StoredResponse & { replayed: boolean }> {
    const work = this.#create(client, idempotencyKey, shipment);
    const inFlight = this.options.inFlight;
    return inFlight ? inFlight.track('shipment', `shipment for client ${client.id}`, work) : work;
  }

  async #create(
    client: AuthenticatedClient,
    idempotencyKey: string,
    shipment: ShipmentRequest,
  ): Promise<StoredResponse & { replayed: boolean }> {
    const order = shipment.accounts ?? [...client.accounts];
    for (const id of order) this.#authorize(client, id);

    const key = createHash('sha256').update(`${client.id}\n${idempotencyKey}`).digest('hex');
    const owner = randomUUID();
    const fresh: IdempotencyRecord = {
      fingerprint: createHash('sha256').update(JSON.stringify(shipment)).digest('hex'),
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

    const claim: Claim = { key, owner, record: begun.record };
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
      this.#observe(result.attempt);
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
      if (!SAFE_TO_FAIL_OVER.has(result.attempt.outcome) || pinned) {
        // Either it happened now, or it happened before and this retry could not settle it.
        await this.#settle(claim, () => this.options.idempotency.markUnknown(claim.key, claim.owner, id));
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
    }
    await this.#settle(claim, () => this.options.idempotency.release(claim.key, claim.owner));
    throw new GatewayError('ERR_NO_ACCOUNT_AVAILABLE', undefined, {
      detail:
        'no account took the shipment and none can have created a label; the Idempotency-Key is free again',
      extensions: { attempts },
    });
  }

  /** What each attempt that reached the token endpoint or the carrier says about the account's health. */
  #observe(attempt: Attempt): void {
    const health = this.options.health;
    if (!health) return;
    const account = attempt.account;
    const code = attempt.failure?.code ?? '';
    const carrierCode = attempt.failure?.carrierCode;
    const mapped =
      carrierCode !== undefined ? this.#accounts.get(account)?.api.errorClasses[carrierCode] : undefined;
    const classes: Partial<Record<AttemptOutcome, FailureClass>> = {
      throttled: 'downstream.throttled',
      rejected: mapped ?? 'downstream.client_error',
      outcome_unknown: code === 'ERR_CARRIER_TIMEOUT' ? 'downstream.timeout' : 'downstream.server_error',
      unreachable: /ENOTFOUND|EAI_AGAIN/.test(code) ? 'transport.dns' : 'transport.connect',
      token_rejected:
        mapped ??
        (attempt.failure?.upstreamStatus === 403 ? 'authorization.scope' : 'authorization.rejected'),
    };
    if (attempt.outcome === 'created') {
      health.record({ account, source: 'shipment', ok: true });
    } else if (attempt.outcome === 'token_unavailable') {
      const failureClass = classifyError(code as GatewayErrorCode);
      health.record({ account, source: 'shipment', ok: false, failureClass });
    } else if (classes[attempt.outcome] !== undefined && code !== 'carrier_cannot_deduplicate') {
      health.record({
        account,
        source: 'shipment',
        ok: false,
        failureClass: classes[attempt.outcome]!,
        ...(attempt.outcome === 'token_rejected' ? { freshRejection: true } : {}),
      });
    }
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
    if (!shipping || (shipping.adapter.supports && !shipping.adapter.supports(shipment))) {
      return skip('not_supported', shipping ? 'shipment_not_supported' : 'shipping_not_configured');
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
        return skip('not_supported', 'shipment_not_supported');
      }
      const outcome = await this.#send(claim, account, call);
      verdict = outcome.verdict;
      cause = outcome.cause;
      return outcome.result;
    } finally {
      await this.options.breakers.report(id, permit, verdict, cause).catch(() => undefined);
    }
  }

  /** Token, send, one forced refresh on a rejected token, and what the answer means. */
  async #send(
    claim: Claim,
    account: ConfiguredAccount,
    call: ShippingCall,
  ): Promise<{ result: AttemptResult; verdict: BreakerOutcome; cause?: string }> {
    const id = account.id;
    const manager = this.options.engine.manager(id);
    const tokenFailure = (error: unknown) => {
      const code: GatewayErrorCode = isGatewayError(error) ? error.code : 'ERR_INTERNAL';
      if (!isGatewayError(error))
        this.options.log.error({ account: id, err: { message: (error as Error)?.message } }, 'token failure');
      const aboutCarrier = !NOT_ABOUT_THE_CARRIER.has(code);
      return {
        result: { attempt: { account: id, outcome: 'token_unavailable' as const, failure: { code } } },
        verdict: aboutCarrier ? ('auth_failure' as const) : ('neutral' as const),
        cause: code,
      };
    };

    let token: StoredToken;
    try {
      token = manager.peek() ?? (await manager.getToken());
    } catch (error) {
      return tokenFailure(error);
    }
    const path = '/' + call.path.split('?')[0];
    const dependent = account.kind === 'oauth' ? this.options.engine.dependentFor(id, path) : undefined;

    const credentialHeaders = async (credential: StoredToken): Promise<Record<string, string>> => {
      const headers: Record<string, string> = {};
      if (account.kind === 'static') headers[account.staticCredential.header] = credential.accessToken;
      else headers.authorization = `Bearer ${credential.accessToken}`;
      if (dependent) {
        const value = dependent.peek(credential) ?? (await dependent.get(credential));
        headers[dependent.profile.data.header.toLowerCase()] = value.accessToken;
      }
      account.descriptor.decorateApiRequest?.({ method: call.method, path, headers });
      return headers;
    };

    const pinned = await this.options.idempotency.pin(claim.key, claim.owner, id, this.#leaseMs);
    if (!pinned) throw new GatewayError('ERR_IDEMPOTENCY_KEY_IN_USE', undefined, { account: id });

    let headers: Record<string, string>;
    try {
      headers = await credentialHeaders(token);
    } catch (error) {
      return tokenFailure(error);
    }
    let answer = await this.options.caller.send(account, call, headers);
    if (answer.kind === 'answered' && this.#authRejected(account, answer.status)) {
      // One forced refresh and one more try on the same account, before any failover.
      try {
        const rejectedDependent =
          dependent && this.#dependentRejected(dependent.profile.data.rejection, answer);
        if (rejectedDependent) {
          await dependent.invalidate(headers[dependent.profile.data.header.toLowerCase()]!, token);
        } else {
          token = await manager.invalidate(token.accessToken);
        }
        headers = await credentialHeaders(token);
      } catch (error) {
        return tokenFailure(error);
      }
      answer = await this.options.caller.send(account, call, headers);
      if (answer.kind === 'answered' && this.#authRejected(account, answer.status)) {
        if (account.kind === 'oauth') manager.invalidate(token.accessToken).catch(() => undefined);
        return {
          result: {
            attempt: {
              account: id,
              outcome: 'token_rejected',
              failure: this.#failure('fresh_token_rejected', account, answer),
            },
          },
          verdict: 'auth_failure',
          cause: 'fresh_token_rejected',
        };
      }
    }
    return this.#interpret(account, answer);
  }

  #authRejected(account: ConfiguredAccount, status: number): boolean {
    return account.api.tokenRejectedStatuses.includes(status) || status === 403;
  }

  #dependentRejected(rule: { statuses: number[]; notChallenge: string }, answer: CallResult): boolean {
    return (
      answer.kind === 'answered' &&
      rule.statuses.includes(answer.status) &&
      !hasChallenge(answer.headers['www-authenticate'], rule.notChallenge)
    );
  }

  #failure(
    code: string,
    account: ConfiguredAccount,
    answer: Extract<CallResult, { kind: 'answered' }>,
  ): Attempt['failure'] {
    const carrierCode = account.shipping?.adapter.errorCode(answer.status, answer.body);
    return { code, upstreamStatus: answer.status, ...(carrierCode !== undefined ? { carrierCode } : {}) };
  }

  #interpret(
    account: ConfiguredAccount,
    answer: CallResult,
  ): { result: AttemptResult; verdict: BreakerOutcome } {
    const id = account.id;
    if (answer.kind === 'not_sent') {
      return {
        result: { attempt: { account: id, outcome: 'unreachable', failure: { code: answer.code } } },
        verdict: 'neutral',
      };
    }
    if (answer.kind === 'lost') {
      const code = answer.timedOut ? 'ERR_CARRIER_TIMEOUT' : 'ERR_CARRIER_UNREACHABLE';
      return {
        result: { attempt: { account: id, outcome: 'outcome_unknown', failure: { code } } },
        verdict: 'neutral',
      };
    }
    const adapter = account.shipping!.adapter;
    if (answer.status >= 200 && answer.status < 300) {
      const read = adapter.readSuccess(answer.status, answer.body);
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
        const failure = {
          code: 'carrier_rejected',
          upstreamStatus: answer.status,
          ...(read.carrierCode !== undefined ? { carrierCode: read.carrierCode } : {}),
        };
        return { result: { attempt: { account: id, outcome: 'rejected', failure } }, verdict: 'success' };
      }
      return {
        result: {
          attempt: {
            account: id,
            outcome: 'outcome_unknown',
            failure: { code: 'unreadable_answer', upstreamStatus: answer.status },
          },
        },
        // The carrier took the token; what it made of the shipment is what nobody knows.
        verdict: 'success',
      };
    }
    if (answer.status === 429) {
      return {
        result: {
          attempt: {
            account: id,
            outcome: 'throttled',
            failure: this.#failure('ERR_CARRIER_THROTTLED', account, answer),
          },
        },
        verdict: 'neutral',
      };
    }
    if (answer.status >= 500) {
      return {
        result: {
          attempt: {
            account: id,
            outcome: 'outcome_unknown',
            failure: this.#failure('carrier_server_error', account, answer),
          },
        },
        verdict: 'neutral',
      };
    }
    // A 4xx about the shipment: the carrier accepted the credentials and refused the data.
    return {
      result: {
        attempt: {
          account: id,
          outcome: 'rejected',
          failure: this.#failure('carrier_rejected', account, answer),
        },
      },
      verdict: 'success',
    };
  }
}
