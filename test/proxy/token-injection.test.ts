/**
 * @module test/proxy/token-injection
 * What the carrier receives from the proxy: the gateway's own access token in place of the
 * client's API key, no hop-by-hop or client-identity headers (RFC 9110 7.6.1), only the headers
 * the carrier's allow-list names, the query string and body unchanged, and the per-request headers UPS requires added only
 * when the client did not send them. A recording server stands in for the carrier API while the
 * token URL still points at a simulator, so the test sees exactly what went over the wire.
 * The answer's hop-by-hop headers stop at the gateway too.
 */
import { describe, expect, it } from 'vitest';

import {
  SHOP_KEY,
  bearer,
  call,
  fedexAccount,
  observeTokens,
  rawRequest,
  upsAccount,
  useProxyRig,
  type StubRequest,
} from './helpers.js';

describe('proxy request rewriting', () => {
  const rig = useProxyRig({
    fedex: true,
    stubs: {
      carrier: (recorded, res) => {
        if (recorded.url.endsWith('/hop-by-hop-answer')) {
          // A carrier (or a proxy in front of it) marking its own connection-scoped headers.
          res.writeHead(200, {
            'content-type': 'application/json',
            connection: 'keep-alive, x-carrier-hop',
            'keep-alive': 'timeout=5',
            'x-carrier-hop': 'internal-routing-value',
            'proxy-authenticate': 'Basic realm="carrier-edge"',
            'set-cookie': 'carrier-session=abc; HttpOnly',
            'x-carrier-request-id': 'car-77',
          });
          res.end('{"ok":true}');
          return;
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      },
    },
    accounts: ({ ups, fedex, stubs }) => [
      upsAccount('ups-main', ups, `${stubs.carrier.url}/base`),
      upsAccount('ups-sim', ups, ups.url),
      fedexAccount('fedex-main', fedex, `${stubs.carrier.url}/fx`),
    ],
    clearStubs: true,
  });

  const only = (): StubRequest => {
    expect(rig.stubs.carrier.requests).toHaveLength(1);
    return rig.stubs.carrier.requests[0]!;
  };

  it("sends the gateway's access token to the carrier, never the client's API key", async () => {
    const reply = await call(`${rig.gw.url}/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784`, {
      headers: bearer(SHOP_KEY),
    });
    expect(reply.status).toBe(200);
    const token = observeTokens(rig.gw.gateway, 'ups-main')[0]!;
    expect(rig.ups.isAccessTokenValid(token)).toBe(true);
    const seen = only();
    expect(seen.headers.authorization).toBe(`Bearer ${token}`);
    expect(JSON.stringify(seen.headers)).not.toContain(SHOP_KEY);
  });

  it('calls the real UPS simulator with a token it accepts and the headers its Tracking API requires', async () => {
    // The simulator answers 401 to an unknown token and 400 without transId/transactionSrc.
    const reply = await call(`${rig.gw.url}/v1/carriers/ups-sim/api/track/v1/details/1Z999AA10123456784`, {
      headers: bearer(SHOP_KEY),
    });
    expect(reply.status).toBe(200);
    const body = JSON.parse(reply.text) as { trackResponse: { shipment: { inquiryNumber: string }[] } };
    expect(body.trackResponse.shipment[0]!.inquiryNumber).toBe('1Z999AA10123456784');
  });

  it('drops hop-by-hop, connection-listed, cookie, host, forwarding and unlisted headers; keeps the allowed ones', async () => {
    const reply = await rawRequest(rig.gw.port, '/v1/carriers/ups-main/api/rating?a=1&b=x%20y&c=%2Fz&a=2', {
      method: 'POST',
      headers: {
        ...bearer(SHOP_KEY),
        host: 'gateway.example:8443',
        connection: 'keep-alive, x-hop-secret, X-Other-Hop',
        'keep-alive': 'timeout=5',
        'x-hop-secret': 'listed in Connection, so hop-by-hop',
        'x-other-hop': 'also listed',
        te: 'trailers',
        // Without `Connection: upgrade` node treats this as an ordinary request, so it reaches the proxy.
        upgrade: 'h2c',
        'proxy-authorization': 'Basic cHJveHk6cGFzcw==',
        'proxy-connection': 'keep-alive',
        cookie: 'session=client-session-cookie',
        forwarded: 'for=192.0.2.60;proto=http;by=203.0.113.43',
        'x-forwarded-for': '192.0.2.60',
        'x-forwarded-host': 'evil.example',
        'x-forwarded-proto': 'https',
        'content-type': 'application/json',
        accept: 'application/json',
        'accept-language': 'de-DE',
        'x-request-id': 'req-42',
        'x-custom': 'not on the list',
      },
      body: '{"hello":"carrier"}',
    });
    expect(reply.status).toBe(200);
    const seen = only();
    expect(seen.method).toBe('POST');
    // The query string is forwarded byte for byte, repeated and encoded parameters included.
    expect(seen.url).toBe('/base/api/rating?a=1&b=x%20y&c=%2Fz&a=2');
    expect(seen.body.toString()).toBe('{"hello":"carrier"}');
    for (const dropped of [
      'keep-alive',
      'x-hop-secret',
      'x-other-hop',
      'te',
      'upgrade',
      'proxy-authorization',
      'proxy-connection',
      'cookie',
      'forwarded',
      'x-forwarded-for',
      'x-forwarded-host',
      'x-forwarded-proto',
      // Not representation headers and not in UPS's allow-list (carriers/ups/api.ts).
      'x-request-id',
      'x-custom',
    ]) {
      expect(seen.headers, dropped).not.toHaveProperty(dropped);
    }
    // Host names the carrier's origin, whatever the client said.
    expect(seen.headers.host).toBe(new URL(rig.stubs.carrier.url).host);
    // undici's own connection management, not the client's list.
    expect(seen.headers.connection ?? 'keep-alive').toBe('keep-alive');
    expect(seen.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength('{"hello":"carrier"}')),
      accept: 'application/json',
      'accept-language': 'de-DE',
    });
  });

  it('does not forward any x-forwarded-* header, not only the three common ones', async () => {
    const reply = await rawRequest(rig.gw.port, '/v1/carriers/ups-main/api/x', {
      headers: {
        ...bearer(SHOP_KEY),
        'x-forwarded-port': '443',
        'x-forwarded-prefix': '/internal',
        'x-forwarded-server': 'edge-1',
        'x-forwarded-ssl': 'on',
      },
    });
    expect(reply.status).toBe(200);
    const forwarded = Object.keys(only().headers).filter((name) => name.startsWith('x-forwarded-'));
    expect(forwarded).toEqual([]);
  });

  it('forwards an upload sent with Expect: 100-continue (curl sends it for large bodies)', async () => {
    // node:http has already answered "100 Continue" to the client; the expectation is hop-by-hop.
    const reply = await rawRequest(rig.gw.port, '/v1/carriers/ups-main/api/documents', {
      method: 'POST',
      headers: { ...bearer(SHOP_KEY), expect: '100-continue', 'content-type': 'text/plain' },
      body: 'label data',
    });
    expect(reply.status).toBe(200);
    expect(only().body.toString()).toBe('label data');
  });

  it("drops the answer's hop-by-hop, connection-listed and set-cookie headers, and keeps the rest", async () => {
    const reply = await rawRequest(rig.gw.port, '/v1/carriers/ups-main/api/hop-by-hop-answer', {
      headers: bearer(SHOP_KEY),
    });
    expect(reply.status).toBe(200);
    expect(reply.body).toBe('{"ok":true}');
    expect(reply.headers['x-carrier-request-id']).toBe('car-77');
    for (const dropped of ['keep-alive', 'x-carrier-hop', 'proxy-authenticate', 'set-cookie']) {
      expect(reply.headers, dropped).not.toHaveProperty(dropped);
    }
  });

  it('adds UPS transId and transactionSrc when missing, a fresh transId per request', async () => {
    const url = `${rig.gw.url}/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784`;
    expect((await call(url, { headers: bearer(SHOP_KEY) })).status).toBe(200);
    expect((await call(url, { headers: bearer(SHOP_KEY) })).status).toBe(200);
    expect(rig.stubs.carrier.requests).toHaveLength(2);
    const [first, second] = rig.stubs.carrier.requests.map((request) => request.headers);
    // Tracking.yaml: transId is unique per request, at most 32 characters.
    expect(first!.transid).toMatch(/^[0-9a-f]{32}$/);
    expect(second!.transid).toMatch(/^[0-9a-f]{32}$/);
    expect(first!.transid).not.toBe(second!.transid);
    expect(first!.transactionsrc).toBe('carrier-gateway');
  });

  it("keeps the client's own transId and transactionSrc", async () => {
    const reply = await call(`${rig.gw.url}/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784`, {
      headers: { ...bearer(SHOP_KEY), transId: 'shop-trans-0001', transactionSrc: 'shop-app' },
    });
    expect(reply.status).toBe(200);
    expect(only().headers).toMatchObject({ transid: 'shop-trans-0001', transactionsrc: 'shop-app' });
  });

  it('adds no UPS headers to another carrier, whose token it injects the same way', async () => {
    const reply = await call(`${rig.gw.url}/v1/carriers/fedex-main/track/v1/trackingnumbers`, {
      method: 'POST',
      headers: { ...bearer(SHOP_KEY), 'content-type': 'application/json' },
      body: '{}',
    });
    expect(reply.status).toBe(200);
    const seen = only();
    expect(seen.url).toBe('/fx/track/v1/trackingnumbers');
    expect(seen.headers).not.toHaveProperty('transid');
    expect(seen.headers).not.toHaveProperty('transactionsrc');
    const token = observeTokens(rig.gw.gateway, 'fedex-main')[0]!;
    expect(rig.fedex.isAccessTokenValid(token)).toBe(true);
    expect(seen.headers.authorization).toBe(`Bearer ${token}`);
  });
});
