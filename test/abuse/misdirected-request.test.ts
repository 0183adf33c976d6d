/**
 * @module test/abuse/misdirected-request
 * Issue 12, point 9 (absolute-form targets): a request line naming a whole URL addresses that
 * URL's host (RFC 9112 3.2.2), so the gateway serves it only when the host is its own: the
 * configured `publicUrl`'s (none taken without one). Anything else is 421
 * ERR_MISDIRECTED_REQUEST (problem+json), nothing sent to a carrier. Raw sockets: fetch and
 * node:http clients never send absolute-form on their own.
 */
import { describe, expect, it } from 'vitest';

import { startTestGateway, type TestGateway } from '../support/test-gateway.js';
import { upsAccount, useUpsStub } from '../proxy/helpers.js';
import { sendRaw } from './raw-socket.js';

const KEY = 'misdirected-key-0123456789';
const PUBLIC = 'gateway.example.test';
const rig = useUpsStub(async ({ sim, stub }) => {
  const accounts = [upsAccount('ups-main', sim, stub.url)];
  return {
    withPublicUrl: await startTestGateway({
      name: 'misdirected',
      clientKey: KEY,
      accounts,
      config: { publicUrl: `https://${PUBLIC}` },
    }),
    withoutPublicUrl: await startTestGateway({ name: 'misdirected-bare', clientKey: KEY, accounts }),
  };
});

const get = (gw: TestGateway, target: string, host: string, headers = '') =>
  sendRaw(gw.port, [`GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n${headers}\r\n`]);

describe('absolute-form request targets', () => {
  it('naming another host: 421 ERR_MISDIRECTED_REQUEST on every route, the carrier untouched', async () => {
    const before = rig.stub.requests.length;
    for (const target of [
      'http://evil.example/healthz',
      'http://evil.example/v1/oauth/callback?state=abc&code=xyz',
      `http://evil.example/v1/carriers/ups-main/api/track/v1/details/1Z`,
      // Our name on another port is another authority.
      `https://${PUBLIC}:8443/healthz`,
    ]) {
      const answer = await get(rig.gw.withPublicUrl, target, PUBLIC, `Authorization: Bearer ${KEY}\r\n`);
      expect(answer.status, target).toBe(421);
      expect(answer.headers['content-type']).toBe('application/problem+json');
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_MISDIRECTED_REQUEST', status: 421 });
    }
    expect(rig.stub.requests.length).toBe(before);
  });

  it('naming the publicUrl host: served as the path it stands for', async () => {
    const answer = await get(rig.gw.withPublicUrl, `http://${PUBLIC}/healthz`, 'anything.example');
    expect(answer.status).toBe(200);
    const proxied = await get(
      rig.gw.withPublicUrl,
      `https://${PUBLIC}/v1/carriers/ups-main/api/track/v1/details/1Z`,
      PUBLIC,
      `Authorization: Bearer ${KEY}\r\n`,
    );
    expect(proxied.status).toBe(200);
    expect(rig.stub.requests.at(-1)!.url).toBe('/api/track/v1/details/1Z');
  });

  it('without a publicUrl, no absolute-form target is taken, even one naming the Host', async () => {
    const own = `127.0.0.1:${rig.gw.withoutPublicUrl.port}`;
    for (const target of [`http://${own}/healthz`, 'http://evil.example/healthz']) {
      const answer = await get(rig.gw.withoutPublicUrl, target, own);
      expect(answer.status, target).toBe(421);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'ERR_MISDIRECTED_REQUEST' });
    }
    // Origin-form requests are not affected.
    expect((await get(rig.gw.withoutPublicUrl, '/healthz', 'whatever.example')).status).toBe(200);
  });
});
