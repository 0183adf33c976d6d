/**
 * @module shipments/in-doubt-resolver
 * Finds out, in the background, whether a label whose answer was lost exists, so no order stays
 * stuck and no second label is paid for.
 *
 * Once per shipment for the whole fleet: an instance works on a shipment only under its resolution
 * lease (Redis `SET NX PX`), and only after taking the shipment's idempotency record the way a
 * client retry does (`claimUnknown`), so a retry and the resolver never act on one shipment at
 * once, and the answer lands in the record the retry reads:
 * - found (the carrier's own idempotency returned it, or a search by reference found it): the
 *   idempotency record is completed with the 201 and the shipment becomes `created`; the client's
 *   retry with the same Idempotency-Key gets that label;
 * - proven absent (the search found nothing): the idempotency key is freed and the shipment becomes
 *   `failed`; the client's retry ships anew (and may go on to the next account);
 * - not known: the record goes back to `unknown` for the next pass; after `maxAttempts` passes or
 *   `maxAgeMs` it is given up (`resolution.outcome: unresolved`), named with its account and
 *   reference for an operator, and the `shipment_in_doubt` alert fires with its runbook.
 *
 * Operators settle one they checked by hand (`settle`, audited by the admin API); nothing here
 * ever voids a label and makes another.
 */
import { randomUUID } from 'node:crypto';

import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { GatewayError } from '../core/errors.js';
import type { Label } from '../core/shipment.js';
import type { LookupAnswer } from '../core/shipping-adapter.js';
import type { Logger } from '../platform/log.js';
import type { CarrierApi } from '../upstream/carrier-api.js';
import { findAtCarrier } from './carrier-calls.js';
import type { IdempotencyStore } from './idempotency-store.js';
import type { ShipmentMetrics } from './shipment-metrics.js';
import type { ResolutionOutcome, ShipmentRecord, ShipmentStore } from './shipment-store.js';
import { createdResponse, shipmentView, type ShipmentView } from './shipment-view.js';

export interface InDoubtResolverOptions {
  records: ShipmentStore;
  idempotency: IdempotencyStore;
  api: CarrierApi;
  accounts: ConfiguredAccount[];
  log: Logger;
  /** Between two looks at one shipment, and before the first (a carrier's search may lag its label). */
  intervalMs: number;
  maxAttempts: number;
  /** After this long since the unknown outcome, it is given up. */
  maxAgeMs: number;
  /** How long one instance holds a shipment while it looks (the carrier call's timeout fits in it). */
  leaseMs?: number;
  metrics?: ShipmentMetrics;
  alerts?: { shipmentInDoubt(account: string, shipmentId: string, reference: string | undefined): void };
  now?: () => number;
}

export type PassResult = ResolutionOutcome | 'pending' | 'skipped';

export class InDoubtResolver {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;
  readonly #owner = randomUUID();
  readonly #now: () => number;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(private readonly options: InDoubtResolverOptions) {
    this.#accounts = accountsById(options.accounts);
    this.#now = options.now ?? Date.now;
  }

  get #leaseMs(): number {
    return this.options.leaseMs ?? 120_000;
  }

  start(): void {
    if (this.#timer) return;
    // Passes are a fraction of the interval apart, so a shipment is looked at soon after its turn.
    const every = Math.max(250, Math.min(this.options.intervalMs / 2, 15_000));
    this.#timer = setInterval(() => void this.pass(), every);
    this.#timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#running;
  }

  /** One pass over the shipments in doubt, oldest first. Never throws. */
  pass(): Promise<void> {
    this.#running ??= this.#pass().finally(() => {
      this.#running = undefined;
    });
    return this.#running;
  }

  async #pass(): Promise<void> {
    try {
      const due = await this.options.records.inDoubt(100);
      this.options.metrics?.inDoubt(due.length);
      for (const { id } of due) await this.resolve(id);
    } catch (error) {
      this.options.log.warn({ err: { message: (error as Error).message } }, 'in-doubt pass failed');
    }
  }

  /** Looks at one shipment if it is due and nobody else is; what became of it. */
  async resolve(id: string): Promise<PassResult> {
    const { records } = this.options;
    if (!(await records.lease(id, this.#owner, this.#leaseMs))) return 'skipped';
    try {
      const record = (await records.get(id))?.record;
      if (!record || (record.status !== 'unknown' && record.status !== 'resolving')) return 'skipped';
      const last = Date.parse(record.lastAttemptAt ?? record.createdAt);
      if (this.#now() - last < this.options.intervalMs) return 'skipped';
      const claim = await this.options.idempotency.claimUnknown(
        record.idempotencyKey,
        this.#owner,
        this.#leaseMs,
      );
      // A client retry holds the key (it goes to the same account itself), or the key expired.
      if (!claim) return 'skipped';
      await records.update(id, (current) => ({ record: { ...current, status: 'resolving' } }));
      const answer = await this.#lookUp(record);
      return await this.#apply(record, answer);
    } finally {
      await records.unlease(id, this.#owner).catch(() => undefined);
    }
  }

  async #lookUp(record: ShipmentRecord): Promise<LookupAnswer & { method?: string }> {
    const account = this.#accounts.get(record.account);
    if (!account?.shipping) return { kind: 'unknown' };
    try {
      return await findAtCarrier(
        this.options.api,
        account,
        {
          settings: account.shipping.settings,
          trackingNumbers: record.trackingNumbers,
          carrierIdempotencyKey: record.carrierKey,
          shipmentId: record.id,
          ...(record.request !== undefined ? { shipment: record.request } : {}),
        },
        this.options.records,
        record,
      );
    } catch (error) {
      this.options.log.warn(
        { shipmentId: record.id, err: { message: (error as Error).message } },
        'in-doubt lookup failed',
      );
      return { kind: 'unknown' };
    }
  }

  async #apply(record: ShipmentRecord, answer: LookupAnswer & { method?: string }): Promise<PassResult> {
    const { idempotency, records } = this.options;
    const method = answer.method ?? 'lookup';
    const at = new Date(this.#now()).toISOString();
    const seconds = (this.#now() - Date.parse(record.createdAt)) / 1000;
    if (answer.kind === 'found') {
      const labels: Label[] = answer.labels ?? [];
      await idempotency.complete(
        record.idempotencyKey,
        this.#owner,
        this.#response(record, answer.trackingNumbers, labels),
      );
      await records.update(record.id, (current) => ({
        record: {
          ...current,
          status: 'created',
          trackingNumbers: answer.trackingNumbers,
          resolution: {
            outcome: 'created',
            by: 'resolver',
            at,
            method,
            ...(answer.labelsMissing !== undefined ? { detail: answer.labelsMissing } : {}),
          },
        },
        labels,
      }));
      this.options.metrics?.resolved('created', method, seconds);
      this.options.log.info(
        { shipmentId: record.id, account: record.account, method },
        'in-doubt label found',
      );
      return 'created';
    }
    if (answer.kind === 'absent') {
      await idempotency.release(record.idempotencyKey, this.#owner);
      await records.update(record.id, (current) => ({
        record: {
          ...current,
          status: 'failed',
          resolution: { outcome: 'failed', by: 'resolver', at, method },
        },
      }));
      this.options.metrics?.resolved('failed', method, seconds);
      this.options.log.info(
        { shipmentId: record.id, account: record.account },
        'in-doubt label proven absent',
      );
      return 'failed';
    }
    await idempotency.markUnknown(record.idempotencyKey, this.#owner, record.account);
    const attempts = (record.resolutionAttempts ?? 0) + 1;
    const givenUp = attempts >= this.options.maxAttempts || seconds * 1000 >= this.options.maxAgeMs;
    await records.update(record.id, (current) => ({
      record: {
        ...current,
        status: 'unknown',
        resolutionAttempts: attempts,
        lastAttemptAt: at,
        ...(givenUp
          ? {
              resolution: {
                outcome: 'unresolved' as const,
                by: 'resolver',
                at,
                method,
                detail: `not resolvable after ${attempts} attempts: check reference ${record.reference ?? '(none)'} at account ${record.account} by hand, then settle it with carrier-gateway shipments resolve ${record.id} --created|--failed`,
              },
            }
          : {}),
      },
    }));
    if (!givenUp) return 'pending';
    this.options.metrics?.resolved('unresolved', method, seconds);
    this.options.alerts?.shipmentInDoubt(record.account, record.id, record.reference);
    this.options.log.warn(
      { shipmentId: record.id, account: record.account, attempts },
      'in-doubt shipment not resolvable: left to an operator',
    );
    return 'unresolved';
  }

  #response(record: ShipmentRecord, trackingNumbers: string[], labels: Label[]) {
    return createdResponse({
      id: record.id,
      account: record.account,
      carrier: record.carrier,
      ...(record.reference !== undefined ? { reference: record.reference } : {}),
      trackingNumbers,
      labels,
      attempts: record.attempts.map((attempt) =>
        attempt.account === record.account && attempt.outcome === 'outcome_unknown'
          ? { account: attempt.account, outcome: 'created' as const }
          : attempt,
      ),
    });
  }

  /**
   * An operator checked by hand: `created` (with the tracking numbers seen at the carrier, when
   * given) or `failed`. Only a shipment still in doubt can be settled; the idempotency record is
   * settled with it, so the client's retry gets the label or ships anew.
   */
  async settle(
    id: string,
    outcome: 'created' | 'failed',
    by: string,
    trackingNumbers: string[] = [],
  ): Promise<ShipmentView> {
    const { records, idempotency } = this.options;
    if (!(await records.lease(id, this.#owner, this.#leaseMs))) {
      throw new GatewayError('ERR_ACTION_NOT_APPLICABLE', undefined, {
        detail: `shipment ${id} is being resolved right now; try again in a minute`,
      });
    }
    try {
      const record = (await records.get(id))?.record;
      if (!record)
        throw new GatewayError('ERR_SHIPMENT_NOT_FOUND', undefined, { detail: `no shipment ${id}` });
      if (record.status !== 'unknown' && record.status !== 'resolving') {
        throw new GatewayError('ERR_ACTION_NOT_APPLICABLE', undefined, {
          detail: `shipment ${id} is ${record.status}: only a shipment in doubt can be settled`,
        });
      }
      const claimed = await idempotency.claimUnknown(record.idempotencyKey, this.#owner, this.#leaseMs);
      if (claimed) {
        if (outcome === 'created') {
          await idempotency.complete(
            record.idempotencyKey,
            this.#owner,
            this.#response(record, trackingNumbers, []),
          );
        } else {
          await idempotency.release(record.idempotencyKey, this.#owner);
        }
      }
      const at = new Date(this.#now()).toISOString();
      const updated = await records.update(id, (current) => ({
        record: {
          ...current,
          status: outcome,
          ...(outcome === 'created' ? { trackingNumbers } : {}),
          resolution: { outcome, by, at, method: 'manual' },
        },
        ...(outcome === 'created' ? { labels: [] } : {}),
      }));
      this.options.metrics?.resolved(outcome, 'manual', (this.#now() - Date.parse(record.createdAt)) / 1000);
      return shipmentView(updated!);
    } finally {
      await records.unlease(id, this.#owner).catch(() => undefined);
    }
  }
}
