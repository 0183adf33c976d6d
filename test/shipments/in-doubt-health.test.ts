/**
 * @module test/shipments/in-doubt-health.test
 * Issue 15, "an account is not punished for answers lost in transit beyond what the failure
 * taxonomy says", with the UPS simulator, one gateway and its background resolver.
 *
 * What the taxonomy says (src/core/failures.ts, src/core/errors.ts, src/upstream/observe.ts):
 * - a label call answered 5xx after the label was made (`create-then-5xx`) is a carrier 5xx:
 *   `downstream.server_error` (`classifyApiAnswer`, status >= 500);
 * - a label call sent and never answered within `timeouts.apiMs` (`hang_after_create`) is
 *   `ERR_CARRIER_TIMEOUT`: `downstream.timeout`;
 * - neither is an authentication class (`isAuthClass`), and the shipment walk reports both to the
 *   auth breaker as `neutral` (src/shipments/shipment-service.ts `#interpret`).
 * The in-doubt runbook (docs/runbooks/shipment-in-doubt.md) tells operators to recognise such a
 * shipment by exactly these two classes on the account. There is no `lost` class: the ambiguity is
 * the shipment's (`status: unknown`), not the account's.
 *
 * Shown per fault, on an account of its own (so counts cannot leak between cases), with a breaker
 * that opens on the first auth failure (so counting the loss as one would show):
 * - the lost answer is one health event, failed, of its class;
 * - the resolver's Track by Reference and Label Recovery calls (Tracking.yaml, Shipping.yaml
 *   LabelRecovery) are recorded as successes: after the shipment is found (`created`), the
 *   account's `failures['5m']` (GET /v1/health/carriers/{account}) is still exactly one of that
 *   class, the breaker is closed, and the client's replayed retry records nothing.
 */
import { randomUUID } from 'node:crypto';

import { beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { FailureClass } from '../../src/core/failure-classes.js';
import type { AccountHealth } from '../../src/health/health-service.js';
import type { HealthEvent } from '../../src/health/recorder.js';
import { callGateway, postShipment, shipmentReaches } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { SHIPMENT } from '../support/shipments.js';
import { useSimsGateway } from '../support/shipping-accounts.js';

const SHOP_KEY = `in-doubt-health-${randomUUID()}`;
registerSecrets(SHOP_KEY);

const events: HealthEvent[] = [];

const rig = useSimsGateway('in-doubt-health', SHOP_KEY, (sims) => ({
  accounts: ['ups-lost', 'ups-hang'].map((id) => sims.upsMain({ id, timeouts: { apiMs: 1_000 } })),
  // One auth failure opens it: a lost answer counted as one would leave it open.
  breaker: {
    volumeThreshold: 1,
    errorThresholdPercentage: 0,
    consecutiveFailures: 1,
    resetTimeoutMs: 60_000,
  },
  config: {
    shipments: { resolution: { intervalSeconds: 1, maxAttempts: 3, maxMinutes: 60 } },
  },
}));
beforeAll(() => {
  rig.gateway.gateway.recorder.on('event', (event) => events.push(event));
});

beforeEach(() => rig.sims.reset());

/** What the label path recorded for the account (token requests are another source). */
const shipmentEvents = (account: string) =>
  events
    .filter((event) => event.account === account && event.source === 'shipment')
    .map(({ ok, failureClass, status }) => ({
      ok,
      ...(failureClass !== undefined ? { failureClass } : {}),
      ...(status !== undefined ? { status } : {}),
    }));

async function health(account: string): Promise<AccountHealth> {
  const answer = await callGateway<AccountHealth>(rig.gateway, `/v1/health/carriers/${account}`, {
    key: SHOP_KEY,
  });
  expect(answer.status).toBe(200);
  return answer.body;
}

describe('an answer lost in transit counts once, as its taxonomy class', () => {
  it.each([
    { fault: 'create-then-5xx', account: 'ups-lost', failureClass: 'downstream.server_error' },
    { fault: 'hang_after_create', account: 'ups-hang', failureClass: 'downstream.timeout' },
  ] as const)(
    '$fault: one $failureClass; the resolver finds the label without adding a failure',
    async ({ fault, account, failureClass }) => {
      const shipment = { ...SHIPMENT, reference: `health-${randomUUID().slice(0, 8)}` };
      const key = randomUUID();
      await rig.sims.ups.setFaults({ shipmentFault: { kind: fault, count: 1 } });
      const lost = await postShipment(rig.gateway, SHOP_KEY, {
        shipment,
        accounts: [account],
        idempotencyKey: key,
      });
      expect(lost.status).toBe(502);
      expect(lost.body['code']).toBe('ERR_SHIPMENT_OUTCOME_UNKNOWN');
      const id = lost.body['shipmentId'] as string;
      const found = await shipmentReaches(rig.gateway, SHOP_KEY, id, 'created');
      expect(found.body).toMatchObject({ resolution: { outcome: 'created', method: 'reference' } });

      // The label call, then Track by Reference and Label Recovery: the lost answer is the one
      // failure, the resolver's two calls are recorded as the successes they were.
      expect(rig.sims.ups.stats().apiRequests).toBe(3);
      const recorded = [
        expect.objectContaining({ ok: false, failureClass }),
        { ok: true, status: 200 },
        { ok: true, status: 200 },
      ];
      expect(shipmentEvents(account)).toEqual(recorded);

      const retry = await postShipment(rig.gateway, SHOP_KEY, {
        shipment,
        accounts: [account],
        idempotencyKey: key,
      });
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect(shipmentEvents(account)).toEqual(recorded);

      const report = await health(account);
      const expected: Partial<Record<FailureClass, number>> = { [failureClass]: 1 };
      expect(report.failures['5m']).toEqual(expected);
      expect(report.failures['24h']).toEqual(expected);
      expect(report.breaker.state).toBe('closed');
      expect(rig.gateway.gateway.breakers.state(account).state).toBe('closed');
      expect(rig.sims.ups.stats().labelsCreated).toBe(1);
    },
  );
});
