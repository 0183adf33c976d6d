/**
 * @module test/proxy/path-safety
 * The client chooses the path after `/v1/carriers/{accountId}/`, never the host and never a way
 * out of the account's API base. Requests go out through node:http with the path verbatim,
 * because fetch would resolve `..` before sending. A second server stands in for "another host":
 * it must never see a connection, and the account's own server must only ever see paths under
 * its base path.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import { SHOP_KEY, bearer, problemOfRaw, rawRequest, upsAccount, useProxyRig } from './helpers.js';

describe('proxy path safety', () => {
  const rig = useProxyRig({
    stubs: { origin: undefined, evil: undefined },
    accounts: ({ ups, stubs }) => [
      upsAccount('ups-main', ups, `${stubs.origin.url}/base`),
      upsAccount('ups-root', ups, stubs.origin.url),
    ],
    clearStubs: true,
  });
  let evilHost = '';
  beforeAll(() => {
    evilHost = `127.0.0.1:${rig.stubs.evil.port}`;
  });

  const send = (path: string, headers: Record<string, string> = {}) =>
    rawRequest(rig.gw.port, path, { headers: { ...bearer(SHOP_KEY), ...headers } });

  it('forwards an ordinary path under the base path, query string included', async () => {
    const reply = await send('/v1/carriers/ups-main/api/track/v1/details/1Z999?locale=en_US');
    expect(reply.status).toBe(200);
    expect(rig.stubs.origin.requests.map((request) => request.url)).toEqual([
      '/base/api/track/v1/details/1Z999?locale=en_US',
    ]);
  });

  it.each([
    '/..',
    '/../x',
    '/api/../../x',
    '/api/..',
    '/.',
    '/./x',
    '/api/./x',
    '/%2e%2e/x',
    '/%2E%2E/x',
    '/.%2e/x',
    '/%2e./x',
    '/%2e/x',
    '/api/%2e%2e',
    '/%2e%2e?x=1',
    '/api%2fx',
    '/api%2F..%2Fx',
    '/api%5cx',
    '/api%5Cx',
    '/api\\..\\x',
    '/api\\x',
    '/api%00x',
  ])('rejects %s with 400 ERR_PATH_REJECTED and sends nothing', async (path) => {
    const before = rig.ups.stats().tokenRequests;
    const reply = await send(`/v1/carriers/ups-main${path}`);
    expect(reply.status).toBe(400);
    expect(problemOfRaw(reply)).toMatchObject({ code: 'ERR_PATH_REJECTED', account: 'ups-main' });
    expect(rig.stubs.origin.requests).toEqual([]);
    expect(rig.ups.stats().tokenRequests).toBe(before);
  });

  it('rejects an empty path with 400 ERR_PATH_REJECTED', async () => {
    for (const path of ['/v1/carriers/ups-main', '/v1/carriers/ups-main?x=1']) {
      const reply = await send(path);
      expect(reply.status, path).toBe(400);
      expect(problemOfRaw(reply).code).toBe('ERR_PATH_REJECTED');
    }
    expect(rig.stubs.origin.requests).toEqual([]);
  });

  it.each(['/..#x', '/.#x', '/api/..#', '/api/%2e%2e#top'])(
    'rejects the dot segment in %s: a fragment ends the path for any URL parser at the carrier',
    async (path) => {
      // Forwarded as-is, `/base/api/..#` is `/base/` to a WHATWG URL parser and `/base/..#x` is `/`:
      // the client would climb out of the account's base path.
      const reply = await send(`/v1/carriers/ups-main${path}`);
      const reached = rig.stubs.origin.requests.map(
        (request) => new URL(request.url, rig.stubs.origin.url).pathname,
      );
      expect(reached.filter((pathname) => !pathname.startsWith('/base/'))).toEqual([]);
      expect(reply.status).toBe(400);
      expect(problemOfRaw(reply).code).toBe('ERR_PATH_REJECTED');
    },
  );

  describe('no path or Host header reaches another host', () => {
    it.each([['a userinfo-looking segment', () => `/v1/carriers/ups-main/@${evilHost}/x`]])(
      '%s stays on the account origin',
      async (_name, path) => {
        const reply = await send(path());
        expect(reply.status).toBe(200);
        expect(rig.stubs.origin.requests).toHaveLength(1);
        const target = rig.stubs.origin.requests[0]!.url;
        expect(target.startsWith('/')).toBe(true);
        expect(rig.stubs.origin.requests[0]!.headers.host).toBe(new URL(rig.stubs.origin.url).host);
        expect(rig.stubs.evil.connections()).toBe(0);
      },
    );

    // An empty segment is refused outright since issue 12.7 (test/abuse/path-shapes.test.ts).
    it.each([
      ['a protocol-relative path', () => `/v1/carriers/ups-main//${evilHost}/x`],
      ['an absolute URL as path', () => `/v1/carriers/ups-main/http://${evilHost}/x`],
      ['a protocol-relative path without base path', () => `/v1/carriers/ups-root//${evilHost}/x`],
      ['an absolute URL as path without base path', () => `/v1/carriers/ups-root/http://${evilHost}/x`],
    ])('%s is refused and reaches no host', async (_name, path) => {
      const reply = await send(path());
      expect(reply.status).toBe(400);
      expect(problemOfRaw(reply).code).toBe('ERR_PATH_REJECTED');
      expect(rig.stubs.origin.requests).toHaveLength(0);
      expect(rig.stubs.evil.connections()).toBe(0);
    });

    it('keeps the base path as prefix of every forwarded path', async () => {
      for (const path of [`/@${evilHost}/x`, '/a/b?c=d']) {
        expect((await send(`/v1/carriers/ups-main${path}`)).status, path).toBe(200);
      }
      expect(rig.stubs.origin.requests).toHaveLength(2);
      for (const { url } of rig.stubs.origin.requests) expect(url.startsWith('/base/'), url).toBe(true);
      expect(rig.stubs.evil.connections()).toBe(0);
    });

    it('an account id smuggling a host is just an unknown account', async () => {
      for (const account of [`ups-main@${evilHost}`, `ups-main:${rig.stubs.evil.port}`, `${evilHost}`]) {
        const reply = await send(`/v1/carriers/${account}/x`);
        expect(reply.status, account).toBe(404);
        expect(problemOfRaw(reply).code).toBe('ERR_ACCOUNT_NOT_FOUND');
      }
      expect(rig.stubs.origin.requests).toEqual([]);
      expect(rig.stubs.evil.connections()).toBe(0);
    });

    it('ignores the Host and X-Forwarded-Host headers when choosing the upstream', async () => {
      const reply = await send('/v1/carriers/ups-main/x', { host: evilHost, 'x-forwarded-host': evilHost });
      expect(reply.status).toBe(200);
      expect(rig.stubs.origin.requests).toHaveLength(1);
      expect(rig.stubs.origin.requests[0]!.headers.host).toBe(new URL(rig.stubs.origin.url).host);
      expect(rig.stubs.evil.connections()).toBe(0);
    });

    it.each([
      ['http', () => `http://${evilHost}/v1/carriers/ups-main/x`],
      ['https', () => `https://${evilHost}/v1/carriers/ups-main/x`],
      ['http with a dot segment', () => `http://${evilHost}/v1/carriers/ups-main/../x`],
    ])(
      'an absolute-form request line (%s) contacts neither the named host nor anyone else',
      async (_n, target) => {
        const reply = await send(target(), { host: evilHost });
        // Whatever the gateway answers, it is not a proxied success, and nothing left the gateway.
        expect(reply.status).toBeGreaterThanOrEqual(400);
        expect(rig.stubs.origin.requests).toEqual([]);
        expect(rig.stubs.evil.connections()).toBe(0);
      },
    );
  });
});
