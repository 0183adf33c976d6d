/**
 * @module test/shipments/status-machine.property.test
 * Properties of the shipment status machine (`created | voided | unknown | resolving | failed`,
 * src/shipments/shipment-status.ts), with fast-check:
 * - the table itself: every status is reachable, `voided` and `failed` are final, nothing goes
 *   back to `resolving` from a settled status;
 * - the real thing: random sequences of what happens to one Idempotency-Key (the label made, its
 *   answer lost, the carrier failing before making it; resolver passes that find, prove absent or
 *   time out; voids that work or come too late; an operator settling it truthfully), run against
 *   a real gateway (memory stores) and the UPS simulator. After every step, every shipment of the
 *   key is in a status the table allows after the one before, `voided` never changes, a label
 *   the resolver found carries its image, and the carrier never made two labels for the key.
 */
import { randomUUID } from 'node:crypto';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { canTransition, FIRST_STATUSES, SHIPMENT_TRANSITIONS } from '../../src/shipments/shipment-status.js';
import { SHIPMENT_STATUSES, type ShipmentStatus } from '../../src/shipments/shipment-store.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { SHIPMENT } from '../support/shipments.js';
import { useSimsGateway } from '../support/shipping-accounts.js';

const SHOP_KEY = `status-machine-${randomUUID()}`;
const ADMIN_KEY = `status-machine-admin-${randomUUID()}`;
registerSecrets(SHOP_KEY, ADMIN_KEY);

const status = fc.constantFrom(...SHIPMENT_STATUSES);

describe('the status table', () => {
  it('voided and failed are final; a settled shipment never goes back in doubt', () => {
    fc.assert(
      fc.property(status, status, (from, to) => {
        if (from === 'voided' || from === 'failed') expect(canTransition(from, to)).toBe(to === from);
        if (from === 'created' && (to === 'unknown' || to === 'resolving' || to === 'failed'))
          expect(canTransition(from, to)).toBe(false);
        // Writing the same status again is always allowed (replays, a second void).
        expect(canTransition(from, from)).toBe(true);
      }),
    );
  });

  it('every status is reachable from a first one, and only created is voided', () => {
    const reached = new Set<ShipmentStatus>(FIRST_STATUSES);
    for (let round = 0; round < SHIPMENT_STATUSES.length; round += 1)
      for (const from of [...reached]) for (const to of SHIPMENT_TRANSITIONS[from]) reached.add(to);
    expect([...reached].sort()).toEqual([...SHIPMENT_STATUSES].sort());
    expect(SHIPMENT_STATUSES.filter((from) => canTransition(from, 'voided'))).toEqual(['created', 'voided']);
    expect(canTransition(undefined, 'voided')).toBe(false);
    expect(canTransition(undefined, 'resolving')).toBe(false);
  });
});

type Step =
  | { kind: 'create'; fault: 'none' | 'create-then-5xx' | 'server_error' }
  | { kind: 'resolve'; carrier: 'answers' | 'unreachable' }
  | { kind: 'void'; tooLate: boolean }
  | { kind: 'operator' };

const step: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    kind: fc.constant('create' as const),
    fault: fc.constantFrom('none' as const, 'create-then-5xx' as const, 'server_error' as const),
  }),
  fc.record({
    kind: fc.constant('resolve' as const),
    carrier: fc.constantFrom('answers' as const, 'unreachable' as const),
  }),
  fc.record({ kind: fc.constant('void' as const), tooLate: fc.boolean() }),
  fc.record({ kind: fc.constant('operator' as const) }),
);

describe('random event sequences through a gateway and the UPS simulator', () => {
  const rig = useSimsGateway('status-machine', SHOP_KEY, (sims) => ({
    admins: [{ id: 'oncall-ana', apiKey: ADMIN_KEY }],
    accounts: [sims.upsMain({ timeouts: { apiMs: 2_000 } })],
    // Passes are the test's to make (resolver.resolve); a shipment is due 1 s after its last look.
    config: { shipments: { resolution: { enabled: false, intervalSeconds: 1, maxAttempts: 2 } } },
  }));

  async function view(id: string): Promise<Record<string, unknown>> {
    const got = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
    expect(got.status).toBe(200);
    return got.body;
  }

  /** One resolver pass on the shipment, once it is due (1 s after its last look). */
  async function resolvePass(id: string, inDoubt: boolean): Promise<void> {
    const until = Date.now() + 5_000;
    for (;;) {
      const result = await rig.gateway.gateway.resolver.resolve(id);
      if (result !== 'skipped' || !inDoubt || Date.now() > until) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async function apply(
    next: Step,
    key: string,
    reference: string,
    ids: Set<string>,
    seen: Map<string, string>,
  ): Promise<void> {
    const latest = [...ids].at(-1);
    const latestStatus = latest !== undefined ? seen.get(latest) : undefined;
    switch (next.kind) {
      case 'create': {
        if (next.fault !== 'none')
          await rig.sims.ups.setFaults({ shipmentFault: { kind: next.fault, count: 1 } });
        const answer = await postShipment(rig.gateway, SHOP_KEY, {
          shipment: { ...SHIPMENT, reference },
          accounts: ['ups-main'],
          idempotencyKey: key,
        });
        const id = (answer.body['id'] ?? answer.body['shipmentId']) as string | undefined;
        if (id !== undefined) ids.add(id);
        if (answer.status === 201) {
          const made = rig.sims.ups.ledger.all.filter((entry) => entry.reference === reference);
          expect(made).toHaveLength(1);
          expect(answer.body['trackingNumbers']).toEqual(made[0]!.trackingNumbers);
        }
        await rig.sims.ups.resetFaults();
        return;
      }
      case 'resolve': {
        if (latest === undefined) return;
        if (next.carrier === 'unreachable') await rig.sims.ups.setFaults({ outage: 'reset' });
        try {
          await resolvePass(latest, latestStatus === 'unknown' || latestStatus === 'resolving');
        } finally {
          await rig.sims.ups.resetFaults();
        }
        return;
      }
      case 'void': {
        if (latest === undefined) return;
        const record = await view(latest);
        if (next.tooLate) {
          for (const number of record['trackingNumbers'] as string[]) rig.sims.ups.ledger.manifest(number);
        }
        const answer = await callGateway(rig.gateway, `/v1/shipments/${latest}/void`, {
          method: 'POST',
          key: SHOP_KEY,
        });
        if (answer.status === 200) expect(answer.body).toMatchObject({ id: latest, status: 'voided' });
        else expect(answer.headers.get('content-type')).toContain('application/problem+json');
        return;
      }
      case 'operator': {
        if (latest === undefined) return;
        // The operator checks at the carrier and tells the truth.
        const made = rig.sims.ups.ledger.all.filter((entry) => entry.reference === reference);
        const found = made.flatMap((entry) => entry.trackingNumbers);
        await callGateway(rig.gateway, `/v1/admin/shipments/${latest}/resolve`, {
          method: 'POST',
          key: ADMIN_KEY,
          body:
            found.length > 0
              ? { outcome: 'created', trackingNumbers: found, reason: 'checked at UPS' }
              : { outcome: 'failed', reason: 'not at UPS' },
        });
        return;
      }
    }
  }

  /** Every transition the runs went through, to show the sequences reach what they claim to test. */
  const transitions = new Set<string>();
  const create = (fault: 'none' | 'create-then-5xx' | 'server_error'): Step => ({ kind: 'create', fault });
  /** Sequences always run besides the random ones: each outcome of the resolver, voids, the operator. */
  const EXAMPLES: [Step[]][] = [
    [
      [
        create('server_error'),
        { kind: 'resolve', carrier: 'answers' },
        create('none'),
        { kind: 'void', tooLate: false },
        // A second void: the same 200, and voided stays voided.
        { kind: 'void', tooLate: false },
      ],
    ],
    [
      [
        create('create-then-5xx'),
        { kind: 'resolve', carrier: 'unreachable' },
        { kind: 'resolve', carrier: 'unreachable' },
        create('none'),
        { kind: 'operator' },
        { kind: 'void', tooLate: true },
      ],
    ],
    [
      [
        create('create-then-5xx'),
        { kind: 'resolve', carrier: 'answers' },
        create('none'),
        { kind: 'void', tooLate: false },
      ],
    ],
  ];

  it('never an illegal transition, voided stays voided, found labels carry images, one label per key', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc
          .tuple(
            step.filter((first) => first.kind === 'create'),
            fc.array(step, { maxLength: 6 }),
          )
          .map(([first, rest]) => [first, ...rest]),
        async (steps) => {
          const key = randomUUID();
          const reference = `sm-${randomUUID().slice(0, 12)}`;
          const ids = new Set<string>();
          const seen = new Map<string, string>();
          for (const next of steps) {
            await apply(next, key, reference, ids, seen);
            for (const id of ids) {
              const record = await view(id);
              const now = record['status'] as ShipmentStatus;
              const before = seen.get(id) as ShipmentStatus | undefined;
              expect(SHIPMENT_STATUSES).toContain(now);
              expect(
                canTransition(before, now),
                `${id}: ${before ?? '(new)'} -> ${now} after ${next.kind}`,
              ).toBe(true);
              if (before === 'voided') expect(now).toBe('voided');
              const resolution = record['resolution'] as { method?: string } | undefined;
              if (now === 'created' && resolution?.method !== 'manual')
                expect((record['labels'] as unknown[]).length).toBeGreaterThan(0);
              seen.set(id, now);
              transitions.add(`${before ?? '(new)'} -> ${now}`);
            }
            // The shipper pays for every label the carrier made: never two for one Idempotency-Key.
            const made = rig.sims.ups.ledger.all.filter((entry) => entry.reference === reference);
            expect(made.length).toBeLessThanOrEqual(1);
          }
        },
      ),
      { numRuns: 20, endOnFailure: true, examples: EXAMPLES },
    );
    expect([...transitions]).toEqual(
      expect.arrayContaining([
        '(new) -> unknown',
        '(new) -> created',
        'unknown -> created',
        'unknown -> failed',
        'created -> voided',
        'voided -> voided',
      ]),
    );
  }, 240_000);
});
