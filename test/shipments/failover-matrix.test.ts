/**
 * @module test/shipments/failover-matrix.test
 * The failover matrix: one test per failure class, each on its own UPS account (so token
 * cooldowns and breakers of one class cannot leak into the next) with FedEx as the fallback, on
 * a gateway in Redis mode against real UPS and FedEx simulators. Each asserts the answer, the
 * attempts list, the labels each simulator made (never two for one shipment), and whether the
 * account's auth breaker opened (the breaker here opens on the first auth failure, so a class
 * that must not count shows it by staying closed).
 */
import { randomUUID } from 'node:crypto';

import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import type { Gateway } from '../../src/gateway.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { freePort, TestRedis } from '../support/redis-server.js';
import { SHIPMENT } from '../support/shipments.js';
import { startShippingSimulators, type ShippingSimulators } from '../support/shipping-accounts.js';
import { closeTestGatewaysAnd, startTestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `matrix-shop-key-${randomUUID()}`;
registerSecrets(CLIENT_KEY);

const CLASSES = [
  'down',
  'success-body',
  'fresh-401',
  'scope-403',
  'server-error',
  'timeout',
  'validation',
  'lock',
  'redis',
] as const;
type FailureClass = (typeof CLASSES)[number];

let redis: TestRedis;
let sims: ShippingSimulators;
let ups: SimulatorHandle;
let fedex: SimulatorHandle;
let gateway: Gateway;
let base = '';

const ship = (failureClass: FailureClass, key = randomUUID(), body: object = SHIPMENT) =>
  postShipment(base, CLIENT_KEY, {
    shipment: body,
    accounts: [`ups-${failureClass}`, 'fedex-main'],
    idempotencyKey: key,
  });
type Answer = Awaited<ReturnType<typeof ship>>;

const labels = () => ({ ups: ups.stats().labelsCreated, fedex: fedex.stats().labelsCreated });
const breaker = (failureClass: FailureClass) => gateway.breakers.state(`ups-${failureClass}`).state;

function expectFailover(answer: Answer, failureClass: FailureClass, outcome: string, code: string): void {
  expect(answer.status).toBe(201);
  expect(answer.headers.get('x-carrier-account')).toBe('fedex-main');
  expect(answer.headers.get('x-failover-from')).toBe(`ups-${failureClass}`);
  expect(answer.body).toMatchObject({
    account: 'fedex-main',
    carrier: 'fedex',
    attempts: [
      { account: `ups-${failureClass}`, outcome, failure: { code } },
      { account: 'fedex-main', outcome: 'created' },
    ],
  });
  expect((answer.body['trackingNumbers'] as string[]).length).toBeGreaterThan(0);
  expect(labels()).toEqual({ ups: 0, fedex: 1 });
}

beforeAll(async () => {
  redis = await TestRedis.start();
  sims = await startShippingSimulators('matrix');
  ({ ups, fedex } = sims);
  const closedPort = await freePort();
  const upsAccount = (failureClass: FailureClass) => ({
    id: `ups-${failureClass}`,
    carrier: 'ups',
    urls: {
      // Token endpoint down, the API up: a port nobody listens on.
      token:
        failureClass === 'down'
          ? `http://127.0.0.1:${closedPort}/security/v1/oauth/token`
          : `${ups.url}/security/v1/oauth/token`,
      api: ups.url,
    },
    credentials: sims.upsClient,
    shipping: { shipperNumber: 'A1B2C3' },
    timeouts: { apiMs: 1_000, tokenMs: 1_000 },
  });
  const gw = await startTestGateway({
    name: 'matrix',
    redis,
    clients: [{ apiKey: CLIENT_KEY, accounts: [...CLASSES.map((c) => `ups-${c}`), 'fedex-main'] }],
    accounts: [...CLASSES.map(upsAccount), sims.fedexMain()],
    breaker: { volumeThreshold: 1, errorThresholdPercentage: 0, resetTimeoutMs: 60_000 },
    engine: {
      manager: {
        lockWaitMs: 400,
        retry: { maxAttempts: 1, baseDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 1_000 },
      },
    },
  });
  gateway = gw.gateway;
  base = gw.url;
});

beforeEach(() => sims.reset());

afterAll(() => closeTestGatewaysAnd(sims, redis));

describe('failover matrix (UPS first, FedEx next)', () => {
  it('token endpoint down: fails over; the breaker opens', async () => {
    expectFailover(await ship('down'), 'down', 'token_unavailable', 'ERR_TOKEN_ENDPOINT_UNREACHABLE');
    expect(breaker('down')).toBe('open');
  });

  it('token endpoint answers 200 with invalid_client: fails over; the breaker opens', async () => {
    await ups.setFaults({ errorInSuccessBody: true });
    expectFailover(
      await ship('success-body'),
      'success-body',
      'token_unavailable',
      'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
    );
    expect(breaker('success-body')).toBe('open');
  });

  it('401 on a fresh token: one forced refresh and retry, then fails over; the breaker opens', async () => {
    await ups.setFaults({ prematureExpirySeconds: 0 });
    expectFailover(await ship('fresh-401'), 'fresh-401', 'token_rejected', 'fresh_token_rejected');
    // The first token and the forced refresh.
    expect(ups.stats().tokenRequestsByClient[sims.upsClient.clientId]).toBe(2);
    expect(ups.stats().apiRejections).toBe(2);
    expect(breaker('fresh-401')).toBe('open');
  });

  // A 403 refuses a permission, which a fresh token does not change (src/upstream/rejection.ts):
  // no token request, no resend, and nothing was made, so the shipment moves on.
  it('403 (scope) on the label call: no refresh and no resend, fails over; the breaker opens', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'forbidden', count: 2 } });
    const answer = await ship('scope-403');
    expectFailover(answer, 'scope-403', 'token_rejected', 'authorization_refused');
    expect(answer.body['attempts']).toMatchObject([{ failure: { upstreamStatus: 403 } }, {}]);
    // One label call, not resent (the forbidden fault had a second 403 ready for a resend).
    expect(ups.stats().apiRequests).toBe(1);
    expect(ups.stats().labelsCreated).toBe(0);
    expect(breaker('scope-403')).toBe('open');
  });

  it('5xx after the label was made: outcome unknown at UPS, never sent to FedEx; a retry is not resent', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const key = randomUUID();
    const answer = await ship('server-error', key);
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({
      code: 'ERR_SHIPMENT_OUTCOME_UNKNOWN',
      account: 'ups-server-error',
      carrierDeduplicates: false,
      attempts: [
        {
          account: 'ups-server-error',
          outcome: 'outcome_unknown',
          failure: { code: 'carrier_server_error', upstreamStatus: 500 },
        },
      ],
    });
    expect(labels()).toEqual({ ups: 1, fedex: 0 });

    // UPS cannot recognise a resend, so the retry is answered without sending anything anywhere.
    const retry = await ship('server-error', key);
    expect(retry.status).toBe(502);
    expect(retry.body).toMatchObject({
      account: 'ups-server-error',
      attempts: [{ account: 'ups-server-error', failure: { code: 'carrier_cannot_deduplicate' } }],
    });
    expect(labels()).toEqual({ ups: 1, fedex: 0 });
    // The same key with another body is refused.
    expect((await ship('server-error', key, { ...SHIPMENT, reference: 'other' })).status).toBe(422);
    expect(breaker('server-error')).toBe('closed');
  });

  it('timeout after the label was made: outcome unknown at UPS, never sent to FedEx', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'hang_after_create', count: 1 } });
    const answer = await ship('timeout');
    expect(answer.status).toBe(502);
    expect(answer.body).toMatchObject({
      code: 'ERR_SHIPMENT_OUTCOME_UNKNOWN',
      account: 'ups-timeout',
      attempts: [
        { account: 'ups-timeout', outcome: 'outcome_unknown', failure: { code: 'ERR_CARRIER_TIMEOUT' } },
      ],
    });
    expect(labels()).toEqual({ ups: 1, fedex: 0 });
    expect(breaker('timeout')).toBe('closed');
  });

  it('400 about the shipment: rejected with the carrier code, no failover, and the key is free again', async () => {
    await ups.setFaults({ shipmentFault: { kind: 'validation_error', count: 1 } });
    const key = randomUUID();
    const answer = await ship('validation', key);
    expect(answer.status).toBe(422);
    expect(answer.body).toMatchObject({
      code: 'ERR_SHIPMENT_REJECTED',
      account: 'ups-validation',
      upstreamStatus: 400,
      attempts: [{ account: 'ups-validation', outcome: 'rejected' }],
    });
    expect(typeof answer.body['carrierCode']).toBe('string');
    expect(labels()).toEqual({ ups: 0, fedex: 0 });
    expect(breaker('validation')).toBe('closed');
    // Nothing was made, so the same key may go again once the data is fixed at the carrier's end.
    const again = await ship('validation', key);
    expect(again.status).toBe(201);
    expect(again.headers.get('x-carrier-account')).toBe('ups-validation');
    expect(labels()).toEqual({ ups: 1, fedex: 0 });
  });

  it('lock timeout (another holder keeps the refresh lock): fails over; the breaker does not count it', async () => {
    const direct = new Redis(redis.url);
    try {
      await direct.set('cg:lock:token:{ups-lock}', 'someone-else', 'PX', 30_000);
      expectFailover(await ship('lock'), 'lock', 'token_unavailable', 'ERR_LOCK_TIMEOUT');
      expect(breaker('lock')).toBe('closed');
    } finally {
      await direct.del('cg:lock:token:{ups-lock}');
      direct.disconnect();
    }
  });

  it('exports every breaker change with its cause, and the shipments, attempts and failovers', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(text).toContain(
      'carrier_gateway_breaker_transitions_total{account="ups-down",from="closed",to="open",cause="ERR_TOKEN_ENDPOINT_UNREACHABLE"} 1',
    );
    expect(text).toContain(
      'carrier_gateway_breaker_transitions_total{account="ups-fresh-401",from="closed",to="open",cause="fresh_token_rejected"} 1',
    );
    expect(text).toContain('carrier_gateway_breaker_state{account="ups-down"} 2');
    expect(text).toContain('carrier_gateway_breaker_state{account="ups-lock"} 0');
    expect(text).toContain('carrier_gateway_failovers_total{from="ups-down",to="fedex-main"} 1');
    expect(text).toMatch(/carrier_gateway_shipments_total\{status="201"\} \d+/);
    expect(text).toMatch(/carrier_gateway_shipments_total\{status="502"\} \d+/);
    expect(text).toContain(
      'carrier_gateway_shipment_attempts_total{account="ups-scope-403",outcome="token_rejected"} 1',
    );
  });

  // Last: the restarted Redis has lost the fleet's breaker records, which the instance then
  // catches up to (closed), so the breaker states read above would depend on the timing.
  it('Redis down: no shipment without its idempotency record, and nothing is sent anywhere', async () => {
    await redis.kill();
    try {
      const answer = await ship('redis');
      expect(answer.status).toBe(503);
      expect(answer.body).toMatchObject({ code: 'ERR_REDIS_UNAVAILABLE' });
      expect(labels()).toEqual({ ups: 0, fedex: 0 });
      expect(breaker('redis')).toBe('closed');
    } finally {
      await redis.restart();
    }
  });
});
