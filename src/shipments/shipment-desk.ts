/**
 * @module shipments/shipment-desk
 * What a shipping app may do with a shipment after `POST /v1/shipments`: look it up (by id or by
 * its reference) and void it. A client sees only its own shipments: another client's id answers
 * the same 404 as an id that never existed, so ids cannot be probed.
 *
 * A void is idempotent: a voided shipment answers the same 200 again without calling the carrier.
 * It is recorded (who, when) only once the carrier confirmed it; a refusal (too late: manifested,
 * picked up) changes nothing and answers a stable `reason` code with the carrier's message cut
 * down to what is safe to pass on (shipments/void-refusal.ts).
 */
import type { ConfiguredAccount } from '../core/account.js';
import { accountsById } from '../core/account-index.js';
import { GatewayError } from '../core/errors.js';
import type { CarrierApi } from '../upstream/carrier-api.js';
import { voidAtCarrier } from './carrier-calls.js';
import type { ShipmentStore, StoredShipment } from './shipment-store.js';
import { shipmentView, type ShipmentView } from './shipment-view.js';
import { refusalReason, sanitizedReason } from './void-refusal.js';

export interface ShipmentDeskOptions {
  records: ShipmentStore;
  accounts: ConfiguredAccount[];
  api: CarrierApi;
  /** Told about each void, for the metrics. */
  onVoid?: (account: string, outcome: string) => void;
}

export interface VoidReceipt {
  id: string;
  status: 'voided';
  voidedAt: string;
}

const notFound = (id: string) =>
  new GatewayError('ERR_SHIPMENT_NOT_FOUND', undefined, { detail: `no shipment ${id} for this client` });

export class ShipmentDesk {
  readonly #accounts: ReadonlyMap<string, ConfiguredAccount>;

  constructor(private readonly options: ShipmentDeskOptions) {
    this.#accounts = accountsById(options.accounts);
  }

  get records(): ShipmentStore {
    return this.options.records;
  }

  async #own(clientId: string, id: string): Promise<StoredShipment> {
    const stored = await this.options.records.get(id);
    if (!stored || stored.record.client !== clientId) throw notFound(id);
    return stored;
  }

  async get(clientId: string, id: string): Promise<ShipmentView> {
    return shipmentView(await this.#own(clientId, id));
  }

  async findByReference(clientId: string, reference: string): Promise<ShipmentView[]> {
    return (await this.options.records.findByReference(clientId, reference)).map(shipmentView);
  }

  async void(clientId: string, id: string, by: string): Promise<VoidReceipt> {
    const { record } = await this.#own(clientId, id);
    if (record.status === 'voided' && record.voided)
      return { id, status: 'voided', voidedAt: record.voided.at };
    if (record.status !== 'created') {
      throw new GatewayError('ERR_SHIPMENT_NOT_VOIDABLE', undefined, {
        detail:
          record.status === 'failed'
            ? 'no label was created for this shipment: there is nothing to void'
            : `the shipment's outcome is ${record.status}: it can be voided once it is known to exist`,
        extensions: { status: record.status },
      });
    }
    const account = this.#accounts.get(record.account);
    if (!account?.shipping) {
      throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: record.account });
    }
    const outcome = await voidAtCarrier(this.options.api, account, {
      settings: account.shipping.settings,
      trackingNumbers: record.trackingNumbers,
      carrierIdempotencyKey: record.carrierKey,
      shipmentId: record.id,
      ...(record.request !== undefined ? { shipment: record.request } : {}),
    });
    this.options.onVoid?.(account.id, outcome.kind);
    switch (outcome.kind) {
      case 'voided': {
        const at = new Date().toISOString();
        const updated = await this.options.records.update(id, (current) =>
          current.status === 'voided'
            ? undefined
            : { record: { ...current, status: 'voided', voided: { by, at } } },
        );
        const voided = updated?.record.voided ?? { by, at };
        return { id, status: 'voided', voidedAt: voided.at };
      }
      case 'refused': {
        // Never the carrier's body: a stable code and its message cut down (shipments/void-refusal.ts).
        const reason = refusalReason(outcome.reason);
        const own = [
          ...record.trackingNumbers,
          record.id,
          ...(record.reference !== undefined ? [record.reference] : []),
        ];
        const carrierReason = sanitizedReason(outcome.reason, own);
        throw new GatewayError('ERR_VOID_REFUSED', undefined, {
          account: account.id,
          upstreamStatus: outcome.upstreamStatus,
          ...(outcome.carrierCode !== undefined ? { carrierCode: outcome.carrierCode } : {}),
          detail: `the carrier refused the void (${reason}): ${carrierReason}`,
          extensions: { reason, carrierReason },
        });
      }
      case 'not_offered':
      case 'not_described':
        throw new GatewayError('ERR_VOID_NOT_OFFERED', undefined, {
          account: account.id,
          detail:
            outcome.kind === 'not_offered'
              ? outcome.instead
              : `the gateway has no void for carrier ${account.carrier}`,
        });
      case 'unknown':
        throw new GatewayError('ERR_VOID_OUTCOME_UNKNOWN', undefined, {
          account: account.id,
          ...(outcome.upstreamStatus !== undefined ? { upstreamStatus: outcome.upstreamStatus } : {}),
          detail: `${outcome.detail}; send the void again (it is safe: a voided shipment stays voided)`,
        });
    }
  }
}
