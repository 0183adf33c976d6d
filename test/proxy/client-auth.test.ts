/**
 * @module test/proxy/client-auth
 * Who may use the pass-through proxy: a shipping app must present its own API key as a Bearer
 * credential, and may reach only the carrier accounts listed for it. Every refusal is a
 * problem+json with a stable code, and a refused request never reaches the carrier or makes the
 * gateway ask for a token.
 */
import { describe, expect, it } from 'vitest';

import { OTHER_KEY, SHOP_KEY, bearer, call, problemOfReply, upsAccount, useProxyRig } from './helpers.js';

describe('proxy client authentication and authorization', () => {
  const rig = useProxyRig({
    stubs: { carrier: undefined },
    accounts: ({ ups, stubs }) => [
      upsAccount('ups-main', ups, stubs.carrier.url),
      upsAccount('ups-other', ups, stubs.carrier.url),
    ],
    gateway: {
      clients: [
        { apiKey: SHOP_KEY, accounts: ['ups-main'] },
        { id: 'other', apiKey: OTHER_KEY, accounts: ['ups-other'] },
      ],
    },
  });

  const proxied = (account: string, headers: Record<string, string> = {}) =>
    call(`${rig.gw.url}/v1/carriers/${account}/api/track/v1/details/1Z999AA10123456784`, { headers });

  /** A refusal must leave the carrier and its token endpoint untouched. */
  function expectNothingSent(before: { api: number; tokens: number }): void {
    expect(rig.stubs.carrier.requests.length).toBe(before.api);
    expect(rig.ups.stats().tokenRequests).toBe(before.tokens);
  }
  const counts = () => ({ api: rig.stubs.carrier.requests.length, tokens: rig.ups.stats().tokenRequests });

  it.each([
    ['no Authorization header', {}],
    ['a wrong key', bearer('wrong-key-0123456789abcdef')],
    ['an empty Bearer credential', { authorization: 'Bearer ' }],
    ['the right key under the Basic scheme', { authorization: `Basic ${SHOP_KEY}` }],
    ['the right key with no scheme', { authorization: SHOP_KEY }],
    ['the right key under a Token scheme', { authorization: `Token ${SHOP_KEY}` }],
    ['the right key as a second credential', { authorization: `Bearer wrong ${SHOP_KEY}` }],
  ])('answers 401 ERR_UNAUTHENTICATED for %s', async (_name, headers: Record<string, string>) => {
    const before = counts();
    const reply = await proxied('ups-main', headers);
    expect(reply.status).toBe(401);
    const problem = problemOfReply(reply);
    expect(problem).toMatchObject({ code: 'ERR_UNAUTHENTICATED', status: 401 });
    expectNothingSent(before);
  });

  it('answers 401, not 404, for an unknown account when the key is wrong (no account enumeration)', async () => {
    const reply = await proxied('no-such-account', bearer('wrong-key-0123456789abcdef'));
    expect(reply.status).toBe(401);
    expect(problemOfReply(reply).code).toBe('ERR_UNAUTHENTICATED');
  });

  it("answers another client's account exactly as an unknown one: 404, the same body (issue 12.8)", async () => {
    const before = counts();
    const reply = await proxied('ups-other', bearer(SHOP_KEY));
    expect(reply.status).toBe(404);
    const problem = problemOfReply(reply);
    expect(problem).toMatchObject({ code: 'ERR_ACCOUNT_NOT_FOUND', status: 404, account: 'ups-other' });
    const unknown = problemOfReply(await proxied('ups-otherx', bearer(SHOP_KEY)));
    expect({
      ...unknown,
      account: 'ups-other',
      instance: (problem as { instance?: string }).instance,
    }).toEqual(problem);
    expectNothingSent(before);
    // The same account is fine for the client that owns it, so the 404 is about the client.
    expect((await proxied('ups-other', bearer(OTHER_KEY))).status).toBe(200);
  });

  it('answers 404 ERR_ACCOUNT_NOT_FOUND for an unknown account', async () => {
    const before = counts();
    const reply = await proxied('no-such-account', bearer(SHOP_KEY));
    expect(reply.status).toBe(404);
    expect(problemOfReply(reply)).toMatchObject({ code: 'ERR_ACCOUNT_NOT_FOUND', status: 404 });
    expectNothingSent(before);
  });

  it('passes a request with the right key through (the refusals above are about the key)', async () => {
    const before = rig.stubs.carrier.requests.length;
    const reply = await proxied('ups-main', bearer(SHOP_KEY));
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.text)).toEqual({ ok: true });
    expect(rig.stubs.carrier.requests.length).toBe(before + 1);
    // The scheme is case-insensitive (RFC 9110 11.1).
    expect((await proxied('ups-main', { authorization: `bearer ${SHOP_KEY}` })).status).toBe(200);
  });
});
