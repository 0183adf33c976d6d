/**
 * @module test/abuse/header-hygiene
 * Issue 12, point 7 (headers): the client headers the hardening review saw reach the carrier
 * (method overrides, URL rewrites, client-address claims, an API key of the client's own) are
 * dropped by the pass-through; ordinary ones still pass.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { closeTestGatewaysAnd } from '../support/test-gateway.js';
import {
  SHOP_KEY,
  UPS_CLIENT,
  bearer,
  rawRequest,
  startCarrierStub,
  startProxyGateway,
  upsAccount,
  type CarrierStub,
  type RunningGateway,
} from '../proxy/helpers.js';

let sim: UpsSimulatorHandle;
let stub: CarrierStub;
let gw: RunningGateway;

beforeAll(async () => {
  sim = await startUpsSimulator({ clients: [UPS_CLIENT] });
  stub = await startCarrierStub();
  gw = await startProxyGateway([upsAccount('ups-main', sim, stub.url)]);
});
afterAll(() => closeTestGatewaysAnd(stub, sim));

const DROPPED = {
  'x-http-method-override': 'DELETE',
  'x-http-method': 'DELETE',
  'x-method-override': 'DELETE',
  'x-original-url': '/admin',
  'x-rewrite-url': '/admin',
  'x-client-ip': '10.0.0.1',
  'cf-connecting-ip': '10.0.0.1',
  'x-api-key': 'client-own-key-0123456789',
};

describe('headers the carrier never sees', () => {
  it('drops overrides, rewrites, address claims and foreign keys; keeps ordinary headers', async () => {
    const reply = await rawRequest(gw.port, '/v1/carriers/ups-main/api/track/v1/details/1Z', {
      headers: { ...bearer(SHOP_KEY), ...DROPPED, accept: 'application/json', transid: 'abc-123' },
    });
    expect(reply.status).toBe(200);
    const seen = stub.requests.at(-1)!.headers;
    for (const name of Object.keys(DROPPED)) expect(seen[name], name).toBeUndefined();
    expect(seen['accept']).toBe('application/json');
    expect(seen['transid']).toBeDefined();
  });
});
