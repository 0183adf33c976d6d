/**
 * @module test/shipments/idempotency.test
 * `POST /v1/shipments` idempotency across three gateway instances on one real redis-server, with
 * the UPS and USPS simulators: a repeat is replayed (`Idempotent-Replayed: true`) by any
 * instance; concurrent duplicates spread over the instances never make two labels; the same key
 * with another body is refused; a retry after an unknown outcome goes back to the account that
 * may hold the label, and USPS (which deduplicates by `X-Idempotency-Key`) returns it without a
 * second label. Bad requests are refused before anything is claimed or sent. All of it on one
 * redis-server and on a three-master Redis Cluster.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { startUspsSimulator, type UspsSimulatorHandle } from '../../carriers/usps/simulator.js';
import { postShipment } from '../support/gateway-client.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { startTopology, TOPOLOGIES, type TestTopology } from '../support/redis-topology.js';
import { SHIPMENT } from '../support/shipments.js';
import { upsMainAccount, uspsAccount } from '../support/shipping-accounts.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `idem-shop-key-${randomUUID()}`;
const UPS_CLIENT = { clientId: 'idem-ups', clientSecret: `ups-secret-${randomUUID()}` };
const USPS_CLIENT = { clientId: 'idem-usps', clientSecret: `usps-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, UPS_CLIENT.clientSecret, USPS_CLIENT.clientSecret);

let ups: UpsSimulatorHandle;
let usps: UspsSimulatorHandle;
const gateways: TestGateway[] = [];
const received: string[] = [];

/** Every answer is kept, to prove afterwards that no secret reached a client. */
async function post(instance: number, key: string | undefined, body: object | string) {
  const answer = await postShipment(gateways[instance]!, CLIENT_KEY, {
    shipment: body,
    idempotencyKey: key ?? null,
  });
  received.push(answer.text, JSON.stringify([...answer.headers]));
  return answer;
}

const upsFirst = { ...SHIPMENT, accounts: ['ups-main', 'usps-main'] };
const uspsFirst = { ...SHIPMENT, accounts: ['usps-main', 'ups-main'] };
const labels = () => ({ ups: ups.stats().labelsCreated, usps: usps.stats().labelsCreated });

beforeAll(async () => {
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  usps = await startUspsSimulator({ clients: [USPS_CLIENT] });
});

async function startFleet(redis: TestTopology): Promise<void> {
  const accounts = [
    upsMainAccount(ups, UPS_CLIENT, { timeouts: { apiMs: 2_000 } }),
    uspsAccount('usps-main', usps, USPS_CLIENT),
  ];
  for (let i = 0; i < 3; i += 1) {
    gateways.push(
      await startTestGateway({
        name: `idempotency-${i}`,
        redis: redis.endpoint,
        clientKey: CLIENT_KEY,
        accounts,
      }),
    );
  }
}

beforeEach(async () => {
  await ups.resetFaults();
  await usps.resetFaults();
  ups.resetStats();
  usps.resetStats();
});

afterAll(async () => {
  registerIssuedTokens(ups, usps);
  // No secret or issued token in anything a client received.
  const secrets = [
    CLIENT_KEY,
    UPS_CLIENT.clientSecret,
    USPS_CLIENT.clientSecret,
    ...ups.issuedTokens(),
    ...usps.issuedTokens(),
  ];
  for (const text of received) for (const secret of secrets) expect(text.includes(secret)).toBe(false);
  await ups?.close();
  await usps?.close();
});

describe.each(TOPOLOGIES)('shipments idempotency across instances on %s Redis', (topology) => {
  let redis: TestTopology;

  beforeAll(async () => {
    redis = await startTopology(topology);
    await startFleet(redis);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gateways.splice(0).map((gateway) => gateway.close()));
    await redis?.stop();
  });

  it('replays a completed shipment from any instance, without a second label', async () => {
    const key = randomUUID();
    const first = await post(0, key, upsFirst);
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(first.body).toMatchObject({
      account: 'ups-main',
      carrier: 'ups',
      attempts: [{ account: 'ups-main', outcome: 'created' }],
    });
    expect((first.body['labels'] as { data: string }[])[0]!.data.length).toBeGreaterThan(0);
    for (const instance of [1, 2]) {
      const again = await post(instance, key, upsFirst);
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('x-carrier-account')).toBe('ups-main');
      expect(again.text).toBe(first.text);
    }
    expect(labels()).toEqual({ ups: 1, usps: 0 });
  });

  it('concurrent duplicates spread over three instances make one label; the rest get 409 or the replay', async () => {
    await ups.setFaults({ apiLatencyMs: 200 });
    for (let round = 0; round < 4; round += 1) {
      const key = randomUUID();
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => post(i % 3, key, upsFirst)));
      const created = answers.filter((answer) => answer.status === 201);
      const conflicts = answers.filter((answer) => answer.status === 409);
      expect(created.length + conflicts.length).toBe(12);
      expect(created.filter((answer) => answer.headers.get('idempotent-replayed') === null)).toHaveLength(1);
      expect(new Set(created.map((answer) => answer.text)).size).toBe(1);
      for (const conflict of conflicts) {
        expect(conflict.body).toMatchObject({ code: 'ERR_IDEMPOTENCY_KEY_IN_USE' });
        expect(conflict.headers.get('retry-after')).not.toBeNull();
      }
      expect(ups.stats().labelsCreated).toBe(round + 1);
    }
  });

  it('refuses the same key with another body, and leaves the first shipment as it was', async () => {
    const key = randomUUID();
    const first = await post(0, key, upsFirst);
    const other = await post(1, key, { ...upsFirst, reference: 'another-order' });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ code: 'ERR_IDEMPOTENCY_KEY_REUSED' });
    expect((await post(2, key, upsFirst)).text).toBe(first.text);
    expect(labels()).toEqual({ ups: 1, usps: 0 });
  });

  it('after an unknown outcome at USPS, the retry goes back to USPS with its key and gets the label it made', async () => {
    await usps.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const key = randomUUID();
    const unknown = await post(0, key, uspsFirst);
    expect(unknown.status).toBe(502);
    expect(unknown.body).toMatchObject({
      code: 'ERR_SHIPMENT_OUTCOME_UNKNOWN',
      account: 'usps-main',
      carrierDeduplicates: true,
      attempts: [{ account: 'usps-main', outcome: 'outcome_unknown' }],
    });
    expect(labels()).toEqual({ ups: 0, usps: 1 });

    const retry = await post(1, key, uspsFirst);
    expect(retry.status).toBe(201);
    expect(retry.headers.get('x-carrier-account')).toBe('usps-main');
    expect(retry.body).toMatchObject({
      id: unknown.body['shipmentId'],
      attempts: [{ account: 'usps-main', outcome: 'created' }],
    });
    // USPS recognised the key: still one label, and never one at UPS.
    expect(labels()).toEqual({ ups: 0, usps: 1 });
    expect((await post(2, key, uspsFirst)).headers.get('idempotent-replayed')).toBe('true');
  });

  it('an unknown outcome is never failed over, even when the pinned account is down at the retry', async () => {
    await usps.setFaults({ shipmentFault: { kind: 'server_error_after_create', count: 1 } });
    const key = randomUUID();
    expect((await post(0, key, uspsFirst)).status).toBe(502);
    await usps.setFaults({ outage: 'refuse' });
    const retry = await post(1, key, uspsFirst);
    expect(retry.status).toBe(502);
    expect(retry.body).toMatchObject({ code: 'ERR_SHIPMENT_OUTCOME_UNKNOWN', account: 'usps-main' });
    expect(labels()).toEqual({ ups: 0, usps: 1 });
  });

  it('refuses bad requests before claiming the key or calling any carrier', async () => {
    const key = randomUUID();
    const missingKey = await post(0, undefined, upsFirst);
    expect(missingKey.status).toBe(400);
    expect(missingKey.body).toMatchObject({ code: 'ERR_IDEMPOTENCY_KEY_INVALID' });

    const notJson = await post(0, key, '{"service":');
    expect(notJson.body).toMatchObject({ status: 400, code: 'ERR_REQUEST_INVALID' });

    const bad = await post(0, key, {
      ...upsFirst,
      service: 'overnight',
      shipper: { ...SHIPMENT.shipper, countryCode: 'usa' },
      parcels: [],
      extra: true,
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const fields = (bad.body['errors'] as { field: string }[]).map((error) => error.field);
    expect(fields).toEqual(expect.arrayContaining(['service', 'shipper.countryCode', 'parcels', '(body)']));

    const foreign = await post(0, key, { ...SHIPMENT, accounts: ['someone-elses'] });
    expect(foreign.status).toBe(404);
    expect(labels()).toEqual({ ups: 0, usps: 0 });
    expect(ups.stats().tokenRequests + usps.stats().tokenRequests).toBe(0);

    // None of that claimed the key.
    expect((await post(1, key, upsFirst)).status).toBe(201);
  });
});
