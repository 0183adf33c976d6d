/**
 * @module test/rates/rates.test
 * `POST /v1/rates` on an embedded gateway against real UPS and FedEx simulators (and a second,
 * slow UPS simulator): prices from every account in one answer, the deadline held with a carrier
 * that does not answer in time, breaker-open and drained accounts skipped without a call, each
 * failure named in `errors`, bad input refused before any call, the optional cache, and the
 * rates and tracking metrics on `/metrics`.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { callGateway } from '../support/gateway-client.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { SHIPMENT } from '../support/shipments.js';
import {
  startShippingSimulators,
  upsMainAccount,
  type ShippingSimulators,
} from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { DEADLINE_MARGIN_MS } from '../../src/rates/rates-service.js';

const CLIENT_KEY = `rates-shop-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY);

let sims: ShippingSimulators;
let slowUps: UpsSimulatorHandle;
let gw: TestGateway;

interface RatesBody {
  rates: Record<string, unknown>[];
  errors: Record<string, unknown>[];
}

const rates = (body: unknown, target: TestGateway = gw) =>
  callGateway<RatesBody>(target, '/v1/rates', { method: 'POST', key: CLIENT_KEY, body: body as object });

beforeAll(async () => {
  sims = await startShippingSimulators('rates');
  const slowClient = { clientId: 'rates-slow-ups', clientSecret: `ups-secret-${randomUUID()}` };
  registerSecrets(slowClient.clientSecret);
  slowUps = await startUpsSimulator({ clients: [slowClient] });
  gw = await startTestGateway({
    name: 'rates',
    clientKey: CLIENT_KEY,
    accounts: [
      sims.upsMain(),
      sims.fedexMain(),
      { ...upsMainAccount(slowUps, slowClient), id: 'ups-slow' },
      // No shipping block: UPS rates for a shipper number, so this account cannot be asked.
      { ...sims.upsMain(), id: 'ups-unconfigured', shipping: undefined },
    ],
  });
});

beforeEach(async () => {
  await sims.reset();
  await slowUps.resetFaults();
  slowUps.resetStats();
  for (const id of ['ups-main', 'fedex-main', 'ups-slow']) {
    await gw.gateway.overrides.set(id, { drained: false, breaker: 'auto' });
  }
});

afterAll(() =>
  closeTestGatewaysAnd(sims, {
    close: async () => {
      registerIssuedTokens(slowUps);
      await slowUps.close();
    },
  }),
);

const byAccount = (body: RatesBody, account: string) =>
  body.rates.filter((rate) => rate['account'] === account);

describe('POST /v1/rates', () => {
  it('answers with every carrier’s prices in one list, and names the account that cannot rate', async () => {
    const answer = await rates({ ...SHIPMENT, accounts: ['ups-main', 'fedex-main', 'ups-unconfigured'] });
    expect(answer.status).toBe(200);
    const ups = byAccount(answer.body, 'ups-main');
    const fedex = byAccount(answer.body, 'fedex-main');
    expect(ups.map((rate) => rate['serviceCode'])).toEqual(['03', '12', '02', '01']);
    expect(ups[0]).toMatchObject({
      account: 'ups-main',
      carrier: 'ups',
      service: 'UPS Ground',
      serviceCode: '03',
      currency: 'USD',
      estimatedDays: 4,
    });
    expect(typeof ups[0]!['amount']).toBe('number');
    expect(ups[0]!['deliveryDate']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    // The account's own (ACCOUNT) price, not the published LIST one.
    expect(fedex.map((rate) => rate['serviceCode'])).toContain('FEDEX_GROUND');
    expect(fedex.find((rate) => rate['serviceCode'] === 'FEDEX_GROUND')).toMatchObject({
      carrier: 'fedex',
      service: 'FedEx Ground',
      currency: 'USD',
      estimatedDays: 4,
    });
    expect(answer.body.errors).toEqual([
      {
        account: 'ups-unconfigured',
        code: 'not_supported',
        detail: expect.stringContaining('shipping block'),
      },
    ]);
  });

  it('answers at the deadline with what arrived; the slow carrier is listed and its call cut', async () => {
    await slowUps.setFaults({ ratesLatencyMs: 5_000 });
    const started = performance.now();
    const answer = await rates({
      ...SHIPMENT,
      accounts: ['ups-main', 'fedex-main', 'ups-slow'],
      deadlineMs: 600,
    });
    const elapsed = performance.now() - started;
    expect(answer.status).toBe(200);
    // Not early: the answer is aimed DEADLINE_MARGIN_MS before the deadline so that it leaves in
    // time; timers may fire a millisecond or two early on their own.
    expect(elapsed).toBeGreaterThanOrEqual(600 - DEADLINE_MARGIN_MS - 5);
    // The slow carrier answers after 5 s; the margin is for a loaded test machine, not the server.
    expect(elapsed).toBeLessThan(600 + 400);
    expect(byAccount(answer.body, 'ups-main').length).toBeGreaterThan(0);
    expect(byAccount(answer.body, 'fedex-main').length).toBeGreaterThan(0);
    expect(byAccount(answer.body, 'ups-slow')).toEqual([]);
    expect(answer.body.errors).toEqual([
      { account: 'ups-slow', code: 'deadline_exceeded', detail: 'no answer within 600 ms' },
    ]);
    // The caller's own deadline is no failure of the carrier: its health and breaker stay clean.
    expect(gw.gateway.breakers.state('ups-slow').state).toBe('closed');
  });

  it('answers as soon as every account has, long before the deadline', async () => {
    const started = performance.now();
    const answer = await rates({ ...SHIPMENT, accounts: ['ups-main', 'fedex-main'], deadlineMs: 10_000 });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([]);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('skips a drained and a breaker-open account without calling their carriers', async () => {
    await gw.gateway.overrides.set('ups-main', { drained: true, breaker: 'auto', reason: 'maintenance' });
    await gw.gateway.overrides.set('ups-slow', { drained: false, breaker: 'open' });
    const answer = await rates({ ...SHIPMENT, accounts: ['ups-main', 'ups-slow', 'fedex-main'] });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([
      { account: 'ups-main', code: 'drained', detail: 'an operator drained this account' },
      { account: 'ups-slow', code: 'breaker_open', detail: 'forced_open' },
    ]);
    expect(sims.ups.stats().apiRequests + sims.ups.stats().tokenRequests).toBe(0);
    expect(slowUps.stats().apiRequests).toBe(0);
    expect(byAccount(answer.body, 'fedex-main').length).toBeGreaterThan(0);
  });

  it('names a carrier’s failure with its status and code, and keeps the other prices', async () => {
    await sims.ups.setFaults({ ratesFault: { kind: 'server_error', count: 1 } });
    await sims.fedex.setFaults({ ratesFault: { kind: 'bad_request', count: 1 } });
    const answer = await rates({ ...SHIPMENT, accounts: ['ups-main', 'fedex-main', 'ups-slow'] });
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toEqual([
      { account: 'ups-main', code: 'carrier_error', upstreamStatus: 503, carrierCode: '20001' },
      {
        account: 'fedex-main',
        code: 'carrier_rejected',
        upstreamStatus: 400,
        carrierCode: 'BAD.REQUEST.ERROR',
      },
    ]);
    expect(byAccount(answer.body, 'ups-slow').length).toBeGreaterThan(0);
  });

  it('refuses bad input before any carrier is asked', async () => {
    for (const body of [
      { ...SHIPMENT, deadlineMs: 10_001 },
      { ...SHIPMENT, deadlineMs: 0 },
      { ...SHIPMENT, parcels: [] },
      { ...SHIPMENT, accounts: [] },
    ]) {
      const answer = await rates(body);
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ code: 'ERR_REQUEST_INVALID' });
    }
    expect((await rates('{not json')).status).toBe(400);
    expect((await rates({ ...SHIPMENT, accounts: ['ups-main', 'nope'] })).body).toMatchObject({
      code: 'ERR_ACCOUNT_NOT_FOUND',
    });
    expect(sims.ups.stats().apiRequests + sims.fedex.stats().apiRequests).toBe(0);
  });

  it('asks the client’s own accounts when none are named, and no others', async () => {
    const other = `rates-other-key-${randomUUID()}`;
    registerSecrets(other);
    const narrow = await startTestGateway({
      name: 'rates-narrow',
      clients: [{ apiKey: other, accounts: ['fedex-main'] }],
      accounts: [sims.upsMain(), sims.fedexMain()],
    });
    const answer = await callGateway<RatesBody>(narrow, '/v1/rates', {
      method: 'POST',
      key: other,
      body: SHIPMENT,
    });
    expect(new Set(answer.body.rates.map((rate) => rate['account']))).toEqual(new Set(['fedex-main']));
    const forbidden = await callGateway(narrow, '/v1/rates', {
      method: 'POST',
      key: other,
      body: { ...SHIPMENT, accounts: ['ups-main'] },
    });
    expect(forbidden.status).toBe(403);
    await narrow.close();
  });

  it('serves a repeated request from the cache when one is configured, marked as such', async () => {
    const cached = await startTestGateway({
      name: 'rates-cache',
      clientKey: CLIENT_KEY,
      accounts: [sims.upsMain()],
      config: { rates: { cacheTtlSeconds: 60 } },
    });
    const first = await rates({ ...SHIPMENT, reference: 'a' }, cached);
    const calls = sims.ups.stats().apiRequests;
    // The same shipment with another reference and deadline is the same price request.
    const second = await rates({ ...SHIPMENT, reference: 'b', deadlineMs: 3_000 }, cached);
    expect(sims.ups.stats().apiRequests).toBe(calls);
    expect(first.body.rates.every((rate) => rate['cached'] === undefined)).toBe(true);
    expect(second.body.rates).toEqual(first.body.rates.map((rate) => ({ ...rate, cached: true })));
    // Another weight is another request.
    await rates({ ...SHIPMENT, parcels: [{ weightKg: 9 }] }, cached);
    expect(sims.ups.stats().apiRequests).toBe(calls + 1);
    await cached.close();
  });

  it('caches nothing by default', async () => {
    await rates({ ...SHIPMENT, accounts: ['ups-main'] });
    const answer = await rates({ ...SHIPMENT, accounts: ['ups-main'] });
    expect(answer.body.rates.some((rate) => rate['cached'] !== undefined)).toBe(false);
    expect(sims.ups.stats().apiRequests).toBe(2);
  });
});

/** A sample's value on /metrics (prom-client writes labels in their declared order), 0 when absent. */
async function metrics(): Promise<(sample: string) => number> {
  const text = (await callGateway(gw, '/metrics')).text;
  return (sample) => {
    const line = text.split('\n').find((each) => each.startsWith(`${sample} `));
    return line === undefined ? 0 : Number(line.slice(sample.length + 1));
  };
}

describe('rates and tracking metrics', () => {
  it('count each account asked by outcome and time the carrier calls, late ones up to the answer', async () => {
    await slowUps.setFaults({ ratesLatencyMs: 5_000 });
    const calls = (kind: string, account: string, carrier: string, outcome: string) =>
      `carrier_gateway_${kind}_calls_total{account="${account}",carrier="${carrier}",outcome="${outcome}"}`;
    const seconds = (kind: string, account: string, what: 'count' | 'sum') =>
      `carrier_gateway_${kind}_call_duration_seconds_${what}{account="${account}",carrier="ups"}`;
    const before = await metrics();

    await rates({
      ...SHIPMENT,
      accounts: ['ups-main', 'fedex-main', 'ups-slow', 'ups-unconfigured'],
      deadlineMs: 600,
    });
    await callGateway(gw, '/v1/tracking/1Z999AA10123456785?account=ups-main', { key: CLIENT_KEY });
    await callGateway(gw, '/v1/tracking/1Z999AA10123456404?account=ups-main', { key: CLIENT_KEY });

    const after = await metrics();
    const added = (sample: string) => after(sample) - before(sample);
    expect(added(calls('rate', 'ups-main', 'ups', 'rated'))).toBe(1);
    expect(added(calls('rate', 'fedex-main', 'fedex', 'rated'))).toBe(1);
    expect(added(calls('rate', 'ups-slow', 'ups', 'deadline_exceeded'))).toBe(1);
    expect(added(calls('rate', 'ups-unconfigured', 'ups', 'not_supported'))).toBe(1);
    // Timed: the calls made; the slow one up to the answer (the deadline, less its margin), not 5 s.
    expect(added(seconds('rate', 'ups-slow', 'count'))).toBe(1);
    expect(added(seconds('rate', 'ups-slow', 'sum'))).toBeGreaterThan(0.4);
    expect(added(seconds('rate', 'ups-slow', 'sum'))).toBeLessThan(1);
    expect(added(seconds('rate', 'ups-unconfigured', 'count'))).toBe(0);
    expect(added('carrier_gateway_rates_duration_seconds_count')).toBe(1);

    expect(added(calls('tracking', 'ups-main', 'ups', 'tracked'))).toBe(1);
    expect(added(calls('tracking', 'ups-main', 'ups', 'not_found'))).toBe(1);
    expect(added(seconds('tracking', 'ups-main', 'count'))).toBe(2);
  });
});
