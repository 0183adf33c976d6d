/**
 * @module test/shipments/void.test
 * `POST /v1/shipments/{id}/void` against the carrier simulators, on a real redis-server: the void
 * reaches the carrier once and a second void answers the same 200 without calling it again; the
 * record says who voided and when; a shipment the carrier manifested is refused with the carrier's
 * reason and stays created; another client's shipment is the same 404 as an unknown one; a
 * shipment whose outcome is unknown cannot be voided.
 */

import { describe, expect, it } from 'vitest';

import { callGateway, postShipment } from '../support/gateway-client.js';
import { useShopGateway } from '../support/shipping-accounts.js';

const rig = useShopGateway('void', (sims) => [
  sims.upsMain({ timeouts: { apiMs: 2_000 } }),
  sims.fedexMain({ timeouts: { apiMs: 2_000 } }),
]);
const { shopKey: SHOP_KEY, otherKey: OTHER_KEY } = rig;

const voidShipment = (id: string, key = SHOP_KEY) =>
  callGateway(rig.gateway, `/v1/shipments/${id}/void`, { method: 'POST', key });

describe.each([
  ['ups-main', () => rig.sims.ups],
  ['fedex-main', () => rig.sims.fedex],
])('void at %s', (account, sim) => {
  it('voids every piece once; a second void answers the same 200 without calling the carrier', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, { accounts: [account] });
    expect(created.status).toBe(201);
    const id = created.body['id'] as string;
    const tracking = (created.body['trackingNumbers'] as string[])[0]!;

    const first = await voidShipment(id);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ id, status: 'voided', voidedAt: expect.any(String) });
    expect(sim().ledger.find(tracking)?.state).toBe('voided');
    const calls = sim().stats().apiRequests;

    const second = await voidShipment(id);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect(sim().stats().apiRequests).toBe(calls);

    const record = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
    expect(record.body).toMatchObject({
      status: 'voided',
      voidedAt: first.body['voidedAt'],
      voidedBy: 'client:shop',
    });
  });

  it('refuses a void the carrier says is too late, with its reason, and changes nothing', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, { accounts: [account] });
    const id = created.body['id'] as string;
    sim().ledger.manifest((created.body['trackingNumbers'] as string[])[0]!);

    const refused = await voidShipment(id);
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body).toMatchObject({ code: 'ERR_VOID_REFUSED', account, reason: 'too_late' });
    expect(String(refused.body['detail'])).toMatch(/manifest|picked up|cannot be (voided|cancelled)/i);

    const record = await callGateway(rig.gateway, `/v1/shipments/${id}`, { key: SHOP_KEY });
    expect(record.body['status']).toBe('created');
  });
});

describe('void of shipments it cannot void', () => {
  it('answers another client the same 404 as an unknown id, and voids nothing', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, { accounts: ['ups-main'] });
    const foreign = await voidShipment(created.body['id'] as string, OTHER_KEY);
    expect(foreign.status).toBe(404);
    expect(foreign.body['code']).toBe('ERR_SHIPMENT_NOT_FOUND');
    const unknown = await voidShipment('shp_nope', OTHER_KEY);
    expect(unknown.status).toBe(404);
    expect(rig.sims.ups.ledger.find((created.body['trackingNumbers'] as string[])[0]!)?.state).toBe('active');
  });

  it('refuses a shipment whose outcome is unknown (409), without calling the carrier', async () => {
    await rig.sims.ups.setFaults({ shipmentFault: { kind: 'create-then-5xx', count: 1 } });
    const lost = await postShipment(rig.gateway, SHOP_KEY, { accounts: ['ups-main'] });
    expect(lost.status).toBe(502);
    const calls = rig.sims.ups.stats().apiRequests;
    const refused = await voidShipment(lost.body['shipmentId'] as string);
    expect(refused.status).toBe(409);
    expect(refused.body['code']).toBe('ERR_SHIPMENT_NOT_VOIDABLE');
    expect(rig.sims.ups.stats().apiRequests).toBe(calls);
  });
});
