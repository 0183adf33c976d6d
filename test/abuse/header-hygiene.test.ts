/**
 * @module test/abuse/header-hygiene
 * Issue 12, point 7 (headers): the client headers that reach a carrier are an allow-list per
 * carrier (carriers/<carrier>/api.ts `forwardedHeaders`, citing its spec) on top of the
 * representation headers. The headers the hardening review saw reach the carrier (method
 * overrides, URL rewrites, client-address claims, a client's own API key) and any unlisted header
 * stop at the gateway; a carrier's documented header passes, to that carrier only; an account's
 * `passThrough.forwardHeaders` adds to its carrier's list.
 */
import { afterAll, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { startForwardingTap, type ForwardingTap } from '../support/forwarding-tap.js';
import {
  FEDEX_CLIENT,
  SHOP_KEY,
  bearer,
  fedexAccount,
  rawRequest,
  startProxyGateway,
  upsAccount,
  useUpsStub,
} from '../proxy/helpers.js';

let tap: ForwardingTap;
let fedexSim: SimulatorHandle;
// Registered first, so it runs last: after the gateway, the stub and the UPS simulator closed.
afterAll(() => Promise.all([tap?.close(), fedexSim?.close()]));
const rig = useUpsStub(async ({ sim, stub }) => {
  // What the gateway sends the real UPS simulator, recorded on the way.
  tap = await startForwardingTap(sim.url);
  fedexSim = await startFedexSimulator({ clients: [FEDEX_CLIENT] });
  return startProxyGateway([
    upsAccount('ups-main', sim, tap.url),
    fedexAccount('fedex-main', fedexSim, stub.url),
    upsAccount('ups-partner', sim, stub.url, { passThrough: { forwardHeaders: ['x-partner-ref'] } }),
  ]);
});

/** The headers issue 12 saw reach the carrier. */
const REFUSED = {
  'x-http-method-override': 'DELETE',
  'x-original-url': '/admin',
  'x-client-ip': '10.0.0.1',
  'cf-connecting-ip': '10.0.0.1',
  'x-api-key': 'client-own-key-0123456789',
};

describe('headers the carrier never sees', () => {
  it('UPS: overrides, rewrites, address claims, foreign keys and unlisted headers stop; transId passes', async () => {
    const reply = await rawRequest(
      rig.gw.port,
      '/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784',
      {
        headers: {
          ...bearer(SHOP_KEY),
          ...REFUSED,
          'x-rewrite-url': '/admin',
          'x-custom': 'not documented by UPS',
          accept: 'application/json',
          transid: 'shop-trans-0001',
        },
      },
    );
    expect(reply.status).toBe(200);
    const seen = tap.server.requests.at(-1)!;
    expect(seen.url).toBe('/api/track/v1/details/1Z999AA10123456784');
    for (const name of [...Object.keys(REFUSED), 'x-rewrite-url', 'x-custom']) {
      expect(seen.headers[name], name).toBeUndefined();
    }
    expect(seen.headers['accept']).toBe('application/json');
    // The client's own transId, documented in Tracking.yaml, reaches UPS as sent.
    expect(seen.headers['transid']).toBe('shop-trans-0001');
  });

  it("FedEx: its own documented headers pass, UPS's do not", async () => {
    const reply = await rawRequest(rig.gw.port, '/v1/carriers/fedex-main/track/v1/trackingnumbers', {
      method: 'POST',
      headers: {
        ...bearer(SHOP_KEY),
        ...REFUSED,
        'content-type': 'application/json',
        'x-customer-transaction-id': 'shop-tx-42',
        'x-locale': 'en_US',
        transid: 'shop-trans-0002',
      },
      body: '{}',
    });
    expect(reply.status).toBe(200);
    const seen = rig.stub.requests.at(-1)!.headers;
    for (const name of [...Object.keys(REFUSED), 'transid']) expect(seen[name], name).toBeUndefined();
    expect(seen).toMatchObject({
      'content-type': 'application/json',
      'x-customer-transaction-id': 'shop-tx-42',
      'x-locale': 'en_US',
    });
  });

  it("an account's passThrough.forwardHeaders adds to its carrier's list, for that account only", async () => {
    const headers = { ...bearer(SHOP_KEY), 'x-partner-ref': 'p-7' };
    expect((await rawRequest(rig.gw.port, '/v1/carriers/ups-partner/api/x', { headers })).status).toBe(200);
    expect(rig.stub.requests.at(-1)!.headers['x-partner-ref']).toBe('p-7');
    expect((await rawRequest(rig.gw.port, '/v1/carriers/fedex-main/x', { headers })).status).toBe(200);
    expect(rig.stub.requests.at(-1)!.headers['x-partner-ref']).toBeUndefined();
  });
});
