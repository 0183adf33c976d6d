/**
 * @module test/abuse/trusted-proxies
 * Issue 12, point 12: behind a load balancer every socket is the balancer's, so the new-network
 * alert read from the socket never fires. With `trustedProxies`, `X-Forwarded-For` is read (from
 * the right, past the trusted hops) only on connections from a listed address; anyone else's
 * `X-Forwarded-For` is ignored, so a client cannot pick the network it is alerted under.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest } from 'node:http';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { eventually } from '../support/eventually.js';
import { registerSecrets } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { startCarrierStub, upsAccount, type CarrierStub } from '../proxy/helpers.js';

const KEY = `trusted-proxies-key-${randomUUID()}`;
registerSecrets(KEY);

let hook: RecordingServer;
let stub: CarrierStub;
let gw: TestGateway;

const newNetworkTexts = () =>
  hook.requests
    .map((request) => JSON.parse(request.body.toString()) as { rule: string; text?: string })
    .filter((alert) => alert.rule === 'client_new_network')
    .map((alert) => alert.text ?? '');

beforeAll(async () => {
  hook = await startRecordingServer(() => ({ status: 204 }));
  stub = await startCarrierStub();
  gw = await startTestGateway({
    name: 'trusted-proxies',
    clientKey: KEY,
    accounts: [upsAccount('ups-main', stub, stub.url)],
    config: {
      // The balancer is 127.0.0.1; 127.0.1.1 is a client reaching the gateway directly.
      trustedProxies: ['127.0.0.1', '10.0.0.0/8'],
      alerts: { sinks: [{ kind: 'json', url: `${hook.url}/alerts` }], cooldownSeconds: 600 },
    },
  });
});
afterAll(() => closeTestGatewaysAnd(hook, stub));

function from(localAddress: string, path: string, forwardedFor: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, gw.url);
    const req = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname,
        localAddress,
        headers: {
          authorization: `Bearer ${KEY}`,
          ...(forwardedFor !== '' ? { 'x-forwarded-for': forwardedFor } : {}),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('the new-network alert behind a load balancer', () => {
  it('reads X-Forwarded-For from a trusted proxy, past its trusted hops, on the API and the pass-through', async () => {
    // The key's first network is its baseline (no alert): the balancer's own, without a header.
    expect(await from('127.0.0.1', '/v1/accounts', '')).toBe(200);
    // A spoofed first hop, the client, then an internal proxy (trusted): the client is 203.0.113.7.
    expect(await from('127.0.0.1', '/v1/accounts', '192.0.2.1, 203.0.113.7, 10.1.2.3')).toBe(200);
    await eventually(() => newNetworkTexts().some((text) => text.includes('203.0.113.0/24')), {
      timeoutMs: 3_000,
      what: () => `an alert for 203.0.113.0/24: ${JSON.stringify(newNetworkTexts())}`,
    });
    await from('127.0.0.1', '/v1/carriers/ups-main/api/track/v1/details/1Z', '198.51.100.20');
    await eventually(() => newNetworkTexts().some((text) => text.includes('198.51.100.0/24')), {
      timeoutMs: 3_000,
      what: () => `an alert for 198.51.100.0/24: ${JSON.stringify(newNetworkTexts())}`,
    });
    expect(newNetworkTexts().some((text) => text.includes('192.0.2.0/24'))).toBe(false);
  });

  it('ignores X-Forwarded-For from an address that is not a trusted proxy', async () => {
    expect(await from('127.0.1.1', '/v1/accounts', '100.64.9.9')).toBe(200);
    await eventually(() => newNetworkTexts().some((text) => text.includes('127.0.1.0/24')), {
      timeoutMs: 3_000,
      what: () => `an alert for the socket's network: ${JSON.stringify(newNetworkTexts())}`,
    });
    expect(newNetworkTexts().some((text) => text.includes('100.64.9.0/24'))).toBe(false);
  });
});
