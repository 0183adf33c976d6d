/**
 * @module test/proxy/routes
 * The routes beside the proxy: `GET /v1/accounts` (the calling client's accounts only, in its
 * order, never a token value), `/healthz` and `/readyz` for load balancers (no key needed), and
 * the problem+json 404 for anything else.
 */
import { describe, expect, it } from 'vitest';

import {
  OTHER_KEY,
  SHOP_KEY,
  bearer,
  call,
  fedexAccount,
  observeTokens,
  problemOfReply,
  upsAccount,
  useProxyRig,
} from './helpers.js';

interface AccountsBody {
  accounts: { account: string; carrier: string; state: string; token: unknown }[];
}

describe('gateway routes', () => {
  const rig = useProxyRig({
    fedex: true,
    accounts: ({ ups, fedex }) => [
      upsAccount('ups-main', ups, ups.url),
      upsAccount('ups-second', ups, ups.url),
      fedexAccount('fedex-main', fedex, fedex.url),
    ],
    gateway: {
      clients: [
        { apiKey: SHOP_KEY, accounts: ['ups-second', 'ups-main'] },
        { id: 'other', apiKey: OTHER_KEY, accounts: ['fedex-main'] },
      ],
    },
  });

  const accounts = async (key: string) => {
    const reply = await call(`${rig.gw.url}/v1/accounts`, { headers: bearer(key) });
    expect(reply.status).toBe(200);
    expect(reply.headers.get('content-type')).toContain('application/json');
    return { reply, body: JSON.parse(reply.text) as AccountsBody };
  };

  it("GET /v1/accounts lists only the calling client's accounts, in its preference order", async () => {
    const shop = await accounts(SHOP_KEY);
    expect(shop.body.accounts.map((account) => account.account)).toEqual(['ups-second', 'ups-main']);
    const other = await accounts(OTHER_KEY);
    expect(other.body.accounts.map((account) => account.account)).toEqual(['fedex-main']);
    expect(other.body.accounts[0]).toMatchObject({ carrier: 'fedex', state: 'no_token', token: null });
  });

  it('GET /v1/accounts reports a token without ever containing it', async () => {
    const upsReply = await call(
      `${rig.gw.url}/v1/carriers/ups-main/api/track/v1/details/1Z999AA10123456784`,
      {
        headers: bearer(SHOP_KEY),
      },
    );
    expect(upsReply.status).toBe(200);
    const fedexReply = await call(`${rig.gw.url}/v1/carriers/fedex-main/track/v1/trackingnumbers`, {
      method: 'POST',
      headers: { ...bearer(OTHER_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ trackingInfo: [{ trackingNumberInfo: { trackingNumber: '794843185271' } }] }),
    });
    expect(fedexReply.status).toBe(200);
    const tokens = [
      ...observeTokens(rig.gw.gateway, 'ups-main'),
      ...observeTokens(rig.gw.gateway, 'fedex-main'),
    ];
    expect(tokens).toHaveLength(2);

    for (const key of [SHOP_KEY, OTHER_KEY]) {
      const { reply, body } = await accounts(key);
      const withToken = body.accounts.filter((account) => account.token !== null);
      // The status is there (generation, expiry) so the absence of the value is meaningful.
      expect(withToken).toHaveLength(1);
      expect(withToken[0]!.state).toBe('ok');
      for (const token of tokens) expect(reply.text).not.toContain(token);
      expect(reply.text).not.toMatch(/access_?token|refresh_?token/i);
      for (const secret of ['csecret-123456', 'fx-secret-123456', SHOP_KEY, OTHER_KEY]) {
        expect(reply.text).not.toContain(secret);
      }
    }
  });

  it('GET /v1/accounts needs a client key', async () => {
    const reply = await call(`${rig.gw.url}/v1/accounts`);
    expect(reply.status).toBe(401);
    expect(problemOfReply(reply).code).toBe('ERR_UNAUTHENTICATED');
  });

  it('GET /healthz answers 200 without a key', async () => {
    const reply = await call(`${rig.gw.url}/healthz`);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ status: 'alive' });
  });

  it('GET /readyz answers 200 in embedded mode without a key', async () => {
    const reply = await call(`${rig.gw.url}/readyz`);
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toMatchObject({ status: 'ready', mode: 'embedded' });
  });

  it.each([
    ['an unknown top-level path', '/nope', {}],
    ['an unknown /v1 path with a key', '/v1/nope', bearer(SHOP_KEY)],
    ['the proxy prefix without an account', '/v1/carriers', bearer(SHOP_KEY)],
    ['a POST to a GET-only route', '/healthz', {}, 'POST'],
  ])('answers 404 ERR_ROUTE_NOT_FOUND problem+json for %s', async (_name, path, headers, method = 'GET') => {
    const reply = await call(`${rig.gw.url}${path}`, { method, headers });
    expect(reply.status).toBe(404);
    expect(problemOfReply(reply)).toMatchObject({ code: 'ERR_ROUTE_NOT_FOUND', status: 404 });
  });
});
