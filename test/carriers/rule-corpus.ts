/**
 * @module test/carriers/rule-corpus
 * One corpus of rule-breaking shipments per carrier, run against both sides: the gateway's
 * pre-check (`adapter.check`, the carrier's rules as data) must refuse each one naming the field,
 * and the carrier's simulator must refuse the label request the adapter would build for it
 * (built without the check, as a gateway without the rules would send it). A simulator laxer than
 * the rules, or rules laxer than the simulator, fails here.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ShipmentRequest } from '../../src/core/shipment.js';
import type { ShipmentDraft, ShippingAdapter, ShippingCall } from '../../src/core/shipping-adapter.js';
import { shipmentWith } from '../support/addresses.js';
import { call } from '../support/sim-http.js';
import type { CarrierHarness, StartedSimulator } from './harnesses.js';

export interface RuleCase {
  what: string;
  shipment: ShipmentRequest;
  /** The violation's field, or `not_supported` for a lane the carrier has no service on. */
  field: string;
  /** For `not_supported`: words the refusal's reason holds. */
  reason?: string;
  /** What the simulator answers (status, and the carrier's code where it has one). */
  status: number;
  code?: string;
}

/**
 * One rule-breaking case: what it is, what it changes on the corpus's lane, the field it breaks
 * (and, for `not_supported`, words the refusal's reason holds).
 */
export type RuleRow = [what: string, changes: Record<string, unknown>, field: string, reason?: string];

/** A carrier's harness (test/carriers/harnesses.ts) and its rule-breaking cases. */
export interface RuleCorpus<Settings> extends CarrierHarness<Settings> {
  /** The shipment every case starts from (one parcel of 1 kg unless it says otherwise). */
  lane: Record<string, unknown>;
  /** What the simulator answers every refused case (status, and the carrier's code where it has one). */
  refusal: { status: number; code?: string };
  rows: RuleRow[];
  /**
   * The adapter's call without its lane refusals, for a carrier whose `build` refuses what
   * `supports` refuses (USPS): with it, the `not_supported` cases go to the simulator too.
   */
  unchecked?(draft: ShipmentDraft<Settings>): ShippingCall;
  /** Why `supports` refuses a shipment, where the adapter has no `check` to say it. */
  unsupportedReason?(shipment: ShipmentRequest): string | undefined;
}

/** The gateway's pre-check as the shipment service runs it: `supports` first, then `check`. */
function preCheck<Settings>(corpus: RuleCorpus<Settings>, shipment: ShipmentRequest) {
  const adapter: ShippingAdapter<Settings> = corpus.adapter;
  if (adapter.supports?.(shipment) === false)
    return { kind: 'not_supported' as const, reason: corpus.unsupportedReason?.(shipment) ?? '' };
  return adapter.check?.(shipment);
}

/** The corpus's rows as cases: each row's changes over the lane, refused as the corpus says. */
export function ruleCases(corpus: Pick<RuleCorpus<unknown>, 'lane' | 'refusal' | 'rows'>): RuleCase[] {
  const shipment = shipmentWith({ parcels: [{ weightKg: 1 }], ...corpus.lane });
  return corpus.rows.map(([what, changes, field, reason]) => ({
    what,
    shipment: shipment(changes),
    field,
    ...(reason !== undefined ? { reason } : {}),
    ...corpus.refusal,
  }));
}

export function describeRuleCorpus<Settings>(corpus: RuleCorpus<Settings>): void {
  const cases = ruleCases(corpus);
  describe(`${corpus.carrier}: rule-breaking shipments, refused by the rules and by the simulator`, () => {
    let started: StartedSimulator;
    beforeAll(async () => {
      started = await corpus.start();
    });
    afterAll(() => started?.close());

    it.each(cases)('$what: the pre-check names $field', ({ shipment, field, reason }) => {
      const unfit = preCheck(corpus, shipment);
      if (field === 'not_supported') {
        expect(unfit?.kind).toBe('not_supported');
        if (reason !== undefined)
          expect(unfit?.kind === 'not_supported' ? unfit.reason : '').toContain(reason);
      } else {
        expect(unfit?.kind).toBe('rules_unmet');
        expect(
          unfit?.kind === 'rules_unmet' ? unfit.violations.map((violation) => violation.field) : [],
        ).toContain(field);
      }
    });

    it.each(cases.filter((entry) => entry.field !== 'not_supported' || corpus.unchecked))(
      '$what: the simulator refuses the request built without the pre-check',
      async ({ shipment, status, code }) => {
        const built = (corpus.unchecked ?? corpus.adapter.build)({
          shipment,
          settings: corpus.settings,
          carrierIdempotencyKey: randomUUID(),
          shipmentId: `shp_${randomUUID().replaceAll('-', '').slice(0, 20)}`,
        });
        const before = started.sim.stats().labelsCreated;
        const reply = await call(`${started.base}/${built.path}`, {
          method: built.method,
          headers: started.headers(built),
          body: built.body,
        });
        const text = typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        expect(reply.status, text).toBe(status);
        if (code !== undefined) expect(corpus.adapter.errorCode(reply.status, text)).toBe(code);
        expect(started.sim.stats().labelsCreated).toBe(before);
      },
    );
  });
}
