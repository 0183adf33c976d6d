/**
 * @module test/abuse/path-shapes
 * Issue 12, points 7 and 10: pass-through paths the carrier could read differently from the
 * gateway (empty segments, malformed percent escapes) are refused with 400 ERR_PATH_REJECTED, and
 * the simulators' control API (`/__sim/...`), which changes what a simulator answers for every
 * client, is never reachable through the gateway in any case or encoding. Nothing is sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { closeTestGatewaysAnd } from '../support/test-gateway.js';
import {
  SHOP_KEY,
  UPS_CLIENT,
  bearer,
  problemOfRaw,
  rawRequest,
  startProxyGateway,
  upsAccount,
  type RunningGateway,
} from '../proxy/helpers.js';

let sim: UpsSimulatorHandle;
let gw: RunningGateway;

beforeAll(async () => {
  sim = await startUpsSimulator({ clients: [UPS_CLIENT] });
  gw = await startProxyGateway([upsAccount('ups-main', sim, sim.url)]);
});
afterAll(() => closeTestGatewaysAnd(sim));

const BASE = '/v1/carriers/ups-main';

async function expectRefused(path: string, method = 'GET', body?: string) {
  const before = sim.stats().apiRequests;
  const reply = await rawRequest(gw.port, `${BASE}${path}`, {
    method,
    headers: { ...bearer(SHOP_KEY), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body } : {}),
  });
  expect(reply.status, path).toBe(400);
  expect(problemOfRaw(reply).code).toBe('ERR_PATH_REJECTED');
  expect(sim.stats().apiRequests).toBe(before);
}

describe('ambiguous pass-through paths', () => {
  it.each([
    '/api//track/v1/details/1Z',
    '//api/track/v1/details/1Z',
    '/api/track/v1/details/1Z//',
    '/api/track/%zz/details',
    '/api/track/v1/details/1Z%',
    '/api/track/v1/details/%4',
  ])('refuses %s', async (path) => {
    await expectRefused(path);
  });

  it('still passes a well-formed escape', async () => {
    const before = sim.stats().apiRequests;
    await rawRequest(gw.port, `${BASE}/api/track/v1/details/1Z%20X`, { headers: bearer(SHOP_KEY) });
    expect(sim.stats().apiRequests).toBe(before + 1);
  });
});

describe('the simulator control API', () => {
  it.each(['/__sim/stats', '/__SIM/stats', '/%5f%5fsim/stats', '/%5F%5FSim/faults', '/__sim'])(
    'refuses GET %s',
    async (path) => {
      await expectRefused(path);
    },
  );

  it('refuses POST /__sim/faults and the simulator keeps answering normally', async () => {
    await expectRefused('/__sim/faults', 'POST', JSON.stringify({ outage: 'refuse' }));
    const track = await rawRequest(gw.port, `${BASE}/api/track/v1/details/1Z999AA10123456784`, {
      headers: bearer(SHOP_KEY),
    });
    expect(track.status).toBe(200);
  });
});
