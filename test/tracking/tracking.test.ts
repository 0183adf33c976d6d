/**
 * @module test/tracking/tracking.test
 * `GET /v1/tracking/{number}` and `POST /v1/tracking` on a gateway in Redis mode (a real
 * redis-server) against real UPS and FedEx simulators: events newest first with the carrier's
 * raw codes, the mapped status, estimated delivery and signature, a status that never goes
 * backwards for a number already seen (kept in Redis, shared by a second instance), not found,
 * a failing carrier, drained and breaker-open accounts left alone, and bad input refused.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { callGateway } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `tracking-shop-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY);

let redis: TestRedis;
let sims: ShippingSimulators;
let gw: TestGateway;
let second: TestGateway;

type Body = Record<string, unknown> & { events: Record<string, unknown>[] };
const track = (number: string, account: string | null = 'ups-main', target: TestGateway = gw) =>
  callGateway<Body>(target, `/v1/tracking/${number}${account !== null ? `?account=${account}` : ''}`, {
    key: CLIENT_KEY,
  });

beforeAll(async () => {
  redis = await TestRedis.start();
  sims = await startShippingSimulators('tracking');
  const options = {
    clientKey: CLIENT_KEY,
    redis: { url: redis.url, keyPrefix: `trk-${randomUUID()}:` },
    accounts: [sims.upsMain(), sims.fedexMain()],
  };
  gw = await startTestGateway({ name: 'tracking', ...options });
  second = await startTestGateway({ name: 'tracking-2', ...options });
});

beforeEach(async () => {
  await sims.reset();
  for (const id of ['ups-main', 'fedex-main']) {
    await gw.gateway.overrides.set(id, { drained: false, breaker: 'auto' });
  }
});

afterAll(() => closeTestGatewaysAnd(sims, redis));

describe('GET /v1/tracking/{trackingNumber}', () => {
  it('UPS: a delivered parcel, events newest first with UPS’s raw codes, and who signed', async () => {
    const answer = await track('1Z999AA10123456785');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      trackingNumber: '1Z999AA10123456785',
      account: 'ups-main',
      carrier: 'ups',
      status: 'delivered',
      signedBy: 'A BUYER',
    });
    expect(answer.body.events.map((event) => event['status'])).toEqual([
      'delivered',
      'out_for_delivery',
      'in_transit',
      'in_transit',
      'pre_transit',
    ]);
    expect(answer.body.events[0]).toMatchObject({
      carrierCode: 'D:KB',
      description: 'Delivered',
      location: 'DALLAS, US',
    });
    const times = answer.body.events.map((event) => Date.parse(event['at'] as string));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  it('FedEx: in transit with an estimated delivery; the account is found when the client names it', async () => {
    const answer = await track('794843185271', 'fedex-main');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ carrier: 'fedex', status: 'in_transit' });
    expect(answer.body['estimatedDelivery']).toEqual(expect.any(String));
    expect(answer.body.events[0]).toMatchObject({ carrierCode: 'AR', status: 'in_transit' });
    expect(answer.body.events.at(-1)).toMatchObject({ carrierCode: 'OC', status: 'pre_transit' });
  });

  it('never moves a number back: a later, earlier status keeps the newer one and says so, fleet-wide', async () => {
    const number = `1Z999AA1${Date.now() % 100_000_000}`.slice(0, 17) + '0';
    await sims.ups.setFaults({ trackingStage: 'delivered' });
    expect((await track(number)).body['status']).toBe('delivered');
    // The carrier's system lags and reports the parcel in transit again; another instance asks.
    await sims.ups.setFaults({ trackingStage: 'in_transit' });
    const behind = await track(number, 'ups-main', second);
    expect(behind.status).toBe(200);
    expect(behind.body['status']).toBe('delivered');
    expect(behind.body['statusKept']).toMatchObject({
      carrierStatus: 'in_transit',
      since: expect.any(String),
    });
    // The carrier's events are passed on as it gave them.
    expect(behind.body.events[0]).toMatchObject({ status: 'in_transit' });
    // As far along (a return after delivery) is no step back.
    await sims.ups.setFaults({ trackingStage: 'returned' });
    const returned = await track(number);
    expect(returned.body['status']).toBe('returned');
    expect(returned.body['statusKept']).toBeUndefined();
  });

  it('answers 404 for a number the carrier does not know, 503 naming a failing carrier', async () => {
    const unknown = await track('1Z999AA10123456404');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({
      code: 'ERR_TRACKING_NOT_FOUND',
      account: 'ups-main',
      carrierCode: 'SIM404',
    });
    await sims.fedex.setFaults({ trackingFault: { kind: 'server_error', count: 1 } });
    const failing = await track('794843185271', 'fedex-main');
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({
      code: 'ERR_TRACKING_UNAVAILABLE',
      reason: 'carrier_error',
      upstreamStatus: 503,
      carrierCode: 'SERVICE.UNAVAILABLE.ERROR',
    });
  });

  it('leaves drained and breaker-open accounts alone', async () => {
    await gw.gateway.overrides.set('ups-main', { drained: true, breaker: 'auto' });
    await gw.gateway.overrides.set('fedex-main', { drained: false, breaker: 'open' });
    expect((await track('1Z999AA10123456785')).body).toMatchObject({
      code: 'ERR_TRACKING_UNAVAILABLE',
      reason: 'drained',
    });
    expect((await track('794843185271', 'fedex-main')).body).toMatchObject({ reason: 'breaker_open' });
    expect(sims.ups.stats().apiRequests + sims.fedex.stats().apiRequests).toBe(0);
  });

  it('refuses a bad number, a missing account among several, and an unknown account before any call', async () => {
    expect((await track('1Z%2F..%2Fx')).status).toBe(400);
    const unnamed = await track('1Z999AA10123456785', null);
    expect(unnamed.status).toBe(400);
    expect(unnamed.body['detail']).toContain('ups-main, fedex-main');
    expect((await track('1Z999AA10123456785', 'nope')).status).toBe(404);
    expect(sims.ups.stats().apiRequests + sims.fedex.stats().apiRequests).toBe(0);
  });
});

describe('POST /v1/tracking', () => {
  const batch = (body: unknown) =>
    callGateway<{ results: Body[]; errors: Body[] }>(gw, '/v1/tracking', {
      method: 'POST',
      key: CLIENT_KEY,
      body: body as object,
    });

  it('answers every number together, a failed one in errors', async () => {
    const answer = await batch({
      account: 'fedex-main',
      trackingNumbers: ['794843185270', '794843185275', '794843185404', '794843185275'],
    });
    expect(answer.status).toBe(200);
    expect(answer.body.results.map((result) => [result['trackingNumber'], result['status']])).toEqual([
      ['794843185270', 'pre_transit'],
      ['794843185275', 'delivered'],
    ]);
    expect(answer.body.errors).toEqual([
      { trackingNumber: '794843185404', account: 'fedex-main', code: 'ERR_TRACKING_NOT_FOUND' },
    ]);
  });

  it('takes at most 50 numbers', async () => {
    const numbers = Array.from({ length: 51 }, (_, index) => `7948431${String(index).padStart(5, '0')}`);
    const answer = await batch({ account: 'fedex-main', trackingNumbers: numbers });
    expect(answer.status).toBe(400);
    expect(sims.fedex.stats().apiRequests).toBe(0);
  });
});
