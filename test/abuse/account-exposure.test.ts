/**
 * @module test/abuse/account-exposure
 * Issue 12, point 8: who can learn which carrier accounts exist. `/metrics` names every account,
 * so with `metrics.key` it answers only that bearer key; and a client probing ids gets the same
 * 404 for another client's account as for an id that does not exist, on every route that takes
 * an account id (pass-through, health, shipments).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { startCarrierStub, type CarrierStub } from '../proxy/helpers.js';

const SHOP = 'exposure-shop-key-0123456789';
const OTHER = 'exposure-other-key-0123456789';
const METRICS_KEY = 'exposure-metrics-key-0123456789';

let stub: CarrierStub;
let gw: TestGateway;

const account = (id: string) => ({
  id,
  carrier: 'ups',
  urls: { token: `${stub.url}/security/v1/oauth/token`, api: stub.url },
  credentials: { clientId: 'cid', clientSecret: 'csecret-123456' },
  shipping: { shipperNumber: 'A1B2C3' },
});

beforeAll(async () => {
  registerSecrets(METRICS_KEY);
  stub = await startCarrierStub();
  gw = await startTestGateway({
    name: 'account-exposure',
    clients: [
      { id: 'shop', apiKey: SHOP, accounts: ['ups-shop'] },
      { id: 'other', apiKey: OTHER, accounts: ['ups-secret-other'] },
    ],
    accounts: [account('ups-shop'), account('ups-secret-other')],
    config: { metrics: { key: METRICS_KEY } },
  });
});
afterAll(() => closeTestGatewaysAnd(stub));

const get = (path: string, key?: string) =>
  fetch(`${gw.url}${path}`, key !== undefined ? { headers: { authorization: `Bearer ${key}` } } : {});

/** The problem with the probed id taken out, for comparing two answers. */
async function shape(reply: Response): Promise<unknown> {
  const body = (await reply.json()) as Record<string, unknown>;
  const { detail, ...rest } = body;
  // The id probed and the request's own id differ by design.
  delete rest['account'];
  delete rest['instance'];
  return {
    status: reply.status,
    ...rest,
    detail: typeof detail === 'string' ? detail.replace(/ups-[\w-]+/g, 'ID') : detail,
  };
}

describe('metrics behind a bearer key', () => {
  it('refuses a scrape without the key, or with a client key, and serves it with the key', async () => {
    for (const key of [undefined, SHOP, 'wrong-metrics-key-0123456789']) {
      const reply = await get('/metrics', key);
      expect(reply.status).toBe(401);
      expect(reply.headers.get('content-type')).toBe('application/problem+json');
      const text = await reply.text();
      expect(text).not.toContain('ups-secret-other');
      expect(JSON.parse(text)).toMatchObject({ code: 'ERR_UNAUTHENTICATED' });
    }
    const scrape = await get('/metrics', METRICS_KEY);
    expect(scrape.status).toBe(200);
    expect(scrape.headers.get('content-type')).toContain('text/plain');
  });
});

describe("another client's account looks exactly like an unknown one", () => {
  it('on the pass-through', async () => {
    const others = await get('/v1/carriers/ups-secret-other/api/track/v1/details/1Z', SHOP);
    const unknown = await get('/v1/carriers/ups-no-such/api/track/v1/details/1Z', SHOP);
    expect(others.status).toBe(404);
    expect(await shape(others)).toEqual(await shape(unknown));
  });

  it('on the health route', async () => {
    const others = await get('/v1/health/carriers/ups-secret-other', SHOP);
    const unknown = await get('/v1/health/carriers/ups-no-such', SHOP);
    expect(others.status).toBe(404);
    expect(await shape(others)).toEqual(await shape(unknown));
  });

  it('on shipments naming accounts', async () => {
    const others = await postShipment(gw, SHOP, { accounts: ['ups-secret-other'] });
    const unknown = await postShipment(gw, SHOP, { accounts: ['ups-no-such'] });
    expect(others.status).toBe(404);
    const strip = (body: Record<string, unknown>) => ({
      ...body,
      account: 'ID',
      instance: 'ID',
      detail: String(body['detail'] ?? '').replace(/ups-[\w-]+/g, 'ID'),
    });
    expect(strip(others.body)).toEqual(strip(unknown.body));
    expect(stub.requests.length).toBe(0);
  });
});
