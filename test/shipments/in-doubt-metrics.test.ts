/**
 * @module test/shipments/in-doubt-metrics.test
 * The in-doubt metrics as `GET /metrics` exports them (src/shipments/shipment-metrics.ts), read
 * after real resolutions against the UPS simulator with the background resolver running:
 * - `carrier_gateway_shipments_in_doubt`: the shipment counted while its outcome is unknown, and
 *   no longer once it is settled;
 * - `carrier_gateway_shipment_resolutions_total{outcome,method}`: a label found by reference
 *   (`created`) and one proven absent (`failed`);
 * - `carrier_gateway_shipment_resolution_seconds{outcome}`: one observation each, at least the
 *   resolver's interval (a shipment is first looked at one interval after its unknown outcome).
 */
import { randomUUID } from 'node:crypto';

import { expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { callGateway, postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { SHIPMENT } from '../support/shipments.js';
import { useSimsGateway } from '../support/shipping-accounts.js';

const SHOP_KEY = `in-doubt-metrics-${randomUUID()}`;
registerSecrets(SHOP_KEY);
const INTERVAL_SECONDS = 2;

const rig = useSimsGateway('in-doubt-metrics', SHOP_KEY, (sims) => ({
  accounts: [sims.upsMain({ timeouts: { apiMs: 2_000 } })],
  config: {
    shipments: { resolution: { intervalSeconds: INTERVAL_SECONDS, maxAttempts: 3, maxMinutes: 60 } },
  },
}));

async function metrics(): Promise<string> {
  const answer = await fetch(`${rig.gateway.url}/metrics`);
  expect(answer.status).toBe(200);
  return answer.text();
}

/** The value of one sample (`name{labels}` exactly as exported), or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((row) => row.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** A shipment whose label outcome is unknown: the carrier fails the way `fault` says. */
async function lostAnswer(fault: 'create-then-5xx' | 'server_error'): Promise<string> {
  await rig.sims.ups.setFaults({ shipmentFault: { kind: fault, count: 1 } });
  const lost = await postShipment(rig.gateway, SHOP_KEY, {
    shipment: { ...SHIPMENT, reference: `metrics-${randomUUID().slice(0, 8)}` },
    accounts: ['ups-main'],
  });
  expect(lost.status).toBe(502);
  return lost.body['shipmentId'] as string;
}

const settled = (id: string, status: string) =>
  eventually(
    async () => {
      const got = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
      expect(got.body['status']).toBe(status);
    },
    { timeoutMs: 15_000, intervalMs: 100, what: `shipment ${id} ${status}` },
  );

it('counts the shipment in doubt, then its resolution by outcome and method, with the time it took', async () => {
  const before = await metrics();
  expect(sample(before, 'carrier_gateway_shipments_in_doubt')).toBe(0);
  expect(
    sample(before, 'carrier_gateway_shipment_resolutions_total{outcome="created",method="reference"}'),
  ).toBeUndefined();

  const found = await lostAnswer('create-then-5xx');
  // Counted by a pass before it is due (one interval after the unknown outcome).
  await eventually(
    async () => expect(sample(await metrics(), 'carrier_gateway_shipments_in_doubt')).toBe(1),
    {
      timeoutMs: 10_000,
      intervalMs: 50,
      what: 'the in-doubt gauge at 1',
    },
  );
  await settled(found, 'created');

  const absent = await lostAnswer('server_error');
  await settled(absent, 'failed');

  await eventually(
    async () => {
      const text = await metrics();
      expect(sample(text, 'carrier_gateway_shipments_in_doubt')).toBe(0);
      expect(
        sample(text, 'carrier_gateway_shipment_resolutions_total{outcome="created",method="reference"}'),
      ).toBe(1);
      expect(
        sample(text, 'carrier_gateway_shipment_resolutions_total{outcome="failed",method="reference"}'),
      ).toBe(1);
      for (const outcome of ['created', 'failed']) {
        expect(sample(text, `carrier_gateway_shipment_resolution_seconds_count{outcome="${outcome}"}`)).toBe(
          1,
        );
        const seconds = sample(
          text,
          `carrier_gateway_shipment_resolution_seconds_sum{outcome="${outcome}"}`,
        )!;
        expect(seconds).toBeGreaterThanOrEqual(INTERVAL_SECONDS);
        expect(seconds).toBeLessThan(60);
        // Inside the 5-second bucket or the 30-second one, never in none.
        expect(
          sample(text, `carrier_gateway_shipment_resolution_seconds_bucket{le="30",outcome="${outcome}"}`),
        ).toBe(1);
      }
    },
    { timeoutMs: 10_000, intervalMs: 100, what: 'the resolutions in /metrics, and nothing left in doubt' },
  );
}, 60_000);
