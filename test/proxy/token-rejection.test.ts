/**
 * @module test/proxy/token-rejection
 * A carrier that drops a token before the `expires_in` it announced. The simulator's
 * `prematureExpirySeconds` fault with a hand-driven simulator clock makes the gateway's cached
 * token "too old" without sleeping. A bodiless idempotent request is retried once with a fresh
 * token; a request with a body cannot be replayed (its stream is spent), so the client gets the
 * carrier's 401 and only the next request uses the fresh token. Account status counts the
 * premature rejections.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';

import {
  startUpsSimulator,
  upsExampleShipmentRequest,
  type UpsSimulatorHandle,
} from '../../carriers/ups/simulator.js';
import { manualClock, type ManualClock } from '../../src/sim/index.js';
import {
  SHOP_KEY,
  UPS_CLIENT,
  bearer,
  call,
  closeObserved,
  observeTokens,
  startProxyGateway,
  upsAccount,
  type RunningGateway,
} from './helpers.js';

const TRACK = '/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784';
const SHIP = '/v1/carriers/ups-main/api/shipments/v2409/ship';
const SHIPMENT = JSON.stringify(upsExampleShipmentRequest());

describe('proxy when the carrier rejects the access token', () => {
  let clock: ManualClock;
  let sim: UpsSimulatorHandle;
  let gw: RunningGateway;

  beforeEach(async () => {
    clock = manualClock();
    sim = await startUpsSimulator({ clock, clients: [UPS_CLIENT] });
    gw = await startProxyGateway([upsAccount('ups-main', sim, sim.url)]);
  });
  afterEach(() => closeObserved(gw, sim));

  const track = () => call(`${gw.url}${TRACK}`, { headers: bearer(SHOP_KEY) });
  const token = () => gw.gateway.engine.manager('ups-main').peek()?.accessToken;

  /** Gets a first token in use, then makes the carrier consider it too old (a minute passes at UPS). */
  async function warmThenAge(): Promise<string> {
    expect((await track()).status).toBe(200);
    const first = token()!;
    observeTokens(gw.gateway, 'ups-main');
    await sim.setFaults({ prematureExpirySeconds: 60 });
    clock.advance(61_000);
    expect(sim.isAccessTokenValid(first)).toBe(false);
    return first;
  }

  async function prematureRejections(): Promise<number> {
    const reply = await call(`${gw.url}/v1/accounts`, { headers: bearer(SHOP_KEY) });
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.text) as { accounts: { account: string; prematureRejections: number }[] };
    return body.accounts.find((account) => account.account === 'ups-main')!.prematureRejections;
  }

  /** Exactly one new token since `before`, and the carrier saw the rejected call plus the one retry. */
  function expectOneRetry(before: ReturnType<typeof sim.stats>): void {
    const after = sim.stats();
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
    expect(after.apiRequests - before.apiRequests).toBe(2);
    expect(after.apiRejections - before.apiRejections).toBe(1);
  }

  it('retries a GET once with a fresh token and succeeds', async () => {
    const first = await warmThenAge();
    const before = sim.stats();
    expect(await prematureRejections()).toBe(0);

    const reply = await track();
    expect(reply.status).toBe(200);
    expect(reply.text).toContain('trackResponse');

    expectOneRetry(before);
    const fresh = token()!;
    observeTokens(gw.gateway, 'ups-main');
    expect(fresh).not.toBe(first);
    expect(sim.isAccessTokenValid(fresh)).toBe(true);
    expect(await prematureRejections()).toBeGreaterThan(0);
  });

  it('does not retry a POST with a body: the client gets the carrier 401, the next request a fresh token', async () => {
    const first = await warmThenAge();
    const before = sim.stats();

    const reply = await call(`${gw.url}${SHIP}`, {
      method: 'POST',
      headers: { ...bearer(SHOP_KEY), 'content-type': 'application/json' },
      body: SHIPMENT,
    });
    expect(reply.status).toBe(401);
    // The carrier's own answer, passed through.
    expect(JSON.parse(reply.text)).toMatchObject({ response: { errors: [{ code: '250002' }] } });
    expect(sim.stats().apiRequests - before.apiRequests).toBe(1);

    const next = await call(`${gw.url}${SHIP}`, {
      method: 'POST',
      headers: { ...bearer(SHOP_KEY), 'content-type': 'application/json' },
      body: SHIPMENT,
    });
    expect(next.status).toBe(200);
    expect(next.text).toContain('ShipmentResponse');
    expectOneRetry(before);
    expect(token()).not.toBe(first);
    observeTokens(gw.gateway, 'ups-main');
    expect(await prematureRejections()).toBeGreaterThan(0);
  });

  it('does not retry a bodiless POST either: POST is not idempotent', async () => {
    await warmThenAge();
    const before = sim.stats();
    const reply = await call(`${gw.url}${SHIP}`, { method: 'POST', headers: bearer(SHOP_KEY) });
    expect(reply.status).toBe(401);
    expect(sim.stats().apiRequests - before.apiRequests).toBe(1);
    // The following GET goes out once, with the token the rejection triggered.
    expect((await track()).status).toBe(200);
    const after = sim.stats();
    expect(after.apiRequests - before.apiRequests).toBe(2);
    expect(after.tokenRequests - before.tokenRequests).toBe(1);
  });

  it('concurrent GETs rejected with the same token share one fresh token', async () => {
    await warmThenAge();
    const before = sim.stats();
    const replies = await Promise.all(Array.from({ length: 6 }, () => track()));
    expect(replies.map((reply) => reply.status)).toEqual(Array(6).fill(200));
    // Single flight: one token request however many requests saw the rejection.
    expect(sim.stats().tokenRequests - before.tokenRequests).toBe(1);
    observeTokens(gw.gateway, 'ups-main');
  });

  it('retries only once: a carrier that rejects the fresh token too gets its 401 passed through', async () => {
    expect((await track()).status).toBe(200);
    observeTokens(gw.gateway, 'ups-main');
    // Every token is now "too old" the moment it is issued.
    await sim.setFaults({ prematureExpirySeconds: 0 });
    const before = sim.stats();
    const reply = await track();
    expect(reply.status).toBe(401);
    expect(JSON.parse(reply.text)).toMatchObject({ response: { errors: [{ code: '250002' }] } });
    expect(sim.stats().apiRequests - before.apiRequests).toBe(2);
  });
});
