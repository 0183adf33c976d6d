/**
 * @module test/onboarding/fleet-state
 * Authorization state across a fleet: two gateway instances on one real Redis (TestRedis) behind
 * one public name, the way a load balancer presents them. An authorization started on one
 * instance completes on the other; the same callback delivered to both at once is exchanged
 * exactly once (GETDEL: RFC 6749 10.12 single use, fleet-wide); the pending state is sealed at
 * rest; and the instance that did not take the callback serves the stored token.
 */
import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import type { TokenStatus } from '../../src/auth/token-status.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { Browser } from '../support/oidc-server.js';
import { TestRedis } from '../support/redis-server.js';
import { closeTestGateways, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `fleet-onboard-shop-${randomUUID()}`;
const ADMIN_KEY = `fleet-onboard-admin-${randomUUID()}`;
const UPS = { clientId: 'ups-fleet-client', clientSecret: `ups-fleet-secret-${randomUUID()}` };
registerSecrets(CLIENT_KEY, ADMIN_KEY, UPS.clientSecret);

/** The fleet's public name: every callback arrives with this Host, whichever instance takes it. */
const PUBLIC_HOST = 'gateway.test';
const CALLBACK = '/v1/oauth/callback';

type Instance = TestGateway;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

/** GET through one instance with the load balancer's Host header (fetch may not set Host). */
function viaInstance(
  instance: Instance,
  pathAndQuery: string,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port: instance.port,
        path: pathAndQuery,
        headers: { host: PUBLIC_HOST, accept: 'application/json', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const body = text === '' ? {} : (JSON.parse(text) as Record<string, unknown>);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('authorization state across two instances on one Redis', () => {
  let redis: TestRedis;
  let sim: UpsSimulatorHandle;
  let a: Instance;
  let b: Instance;

  const startInstance = () =>
    startTestGateway({
      name: 'fleet-onboarding',
      redis,
      config: { publicUrl: `http://${PUBLIC_HOST}` },
      admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
      clientKey: CLIENT_KEY,
      accounts: [
        {
          id: 'ups-3p',
          carrier: 'ups',
          grant: 'authorization_code',
          urls: { token: `${sim.url}/security/v1/oauth/token`, api: sim.url },
          credentials: { ...UPS },
          // The UPS simulator does not verify PKCE (see test/carriers/ups/authorization.test.ts).
          authorization: { pkce: false },
        },
      ],
    });

  /**
   * An operator starts onboarding on `instance` and opens the start link it answers (through
   * `instance` too: the public name only exists behind the balancer): the carrier's URL, and the
   * binding cookie the browser then holds.
   */
  async function begin(instance: Instance): Promise<{ carrier: URL; cookie: string }> {
    const started = await viaInstance(instance, '/v1/accounts/ups-3p/authorize', {
      authorization: `Bearer ${ADMIN_KEY}`,
    });
    expect(started.status).toBe(302);
    const start = new URL(started.headers.location!);
    expect(start.host).toBe(PUBLIC_HOST);
    const opened = await viaInstance(instance, `${start.pathname}${start.search}`);
    expect(opened.status).toBe(302);
    const cookie = opened.headers['set-cookie']![0]!.split(';')[0]!;
    return { carrier: new URL(opened.headers.location!), cookie };
  }

  /** The carrier's redirect back, as the browser would send it to the public name. */
  async function callbackFor(carrier: URL): Promise<string> {
    const callback = await new Browser().follow(carrier.toString(), (url) => url.host === PUBLIC_HOST);
    expect(callback.pathname).toBe(CALLBACK);
    return `${callback.pathname}${callback.search}`;
  }

  async function status(instance: Instance): Promise<TokenStatus> {
    const reply = await viaInstance(instance, '/v1/accounts', { authorization: `Bearer ${CLIENT_KEY}` });
    expect(reply.status).toBe(200);
    return (reply.body.accounts as TokenStatus[])[0]!;
  }

  beforeAll(async () => {
    redis = await TestRedis.start();
    sim = await startUpsSimulator({ clients: [UPS] });
    a = await startInstance();
    b = await startInstance();
  });
  afterAll(async () => {
    registerIssuedTokens(sim);
    await closeTestGateways();
    await sim?.close();
    await redis?.kill();
  });
  afterEach(() => {
    registerIssuedTokens(sim);
    sim.resetStats();
  });

  it('keeps the pending authorization sealed in Redis and deletes it when the callback takes it', async () => {
    const client = redis.client();
    try {
      const { carrier, cookie } = await begin(a);
      // The start link's record is gone once opened: one key left, the state's.
      const keys = await client.keys('cg:oauth-state:*');
      expect(keys).toHaveLength(1);
      // The key is a digest of the state, not the state.
      expect(keys[0]).not.toContain(carrier.searchParams.get('state')!);
      const value = (await client.get(keys[0]!))!;
      for (const clear of ['ups-3p', 'redirectUri', PUBLIC_HOST, 'ops', cookie.split('=')[1]!])
        expect(value).not.toContain(clear);
      expect(await client.pttl(keys[0]!)).toBeGreaterThan(10 * 60_000);

      const reply = await viaInstance(b, await callbackFor(carrier), { cookie });
      expect(reply.status).toBe(200);
      expect(await client.keys('cg:oauth-state:*')).toEqual([]);
    } finally {
      client.disconnect();
    }
  });

  it('started on one instance, completed on the other; both then serve the token', async () => {
    const { carrier, cookie } = await begin(a);
    const callback = await callbackFor(carrier);
    const reply = await viaInstance(b, callback, { cookie });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ status: 'authorized', account: 'ups-3p', refreshToken: true });
    expect(sim.stats().tokenRequests).toBe(1);
    const generation = reply.body.generation as number;

    for (const instance of [a, b]) {
      const proxied = await viaInstance(
        instance,
        '/v1/carriers/ups-3p/api/track/v1/details/1Z12345E0205271688',
        {
          authorization: `Bearer ${CLIENT_KEY}`,
        },
      );
      expect(proxied.status).toBe(200);
      const accountStatus = await status(instance);
      expect(accountStatus).toMatchObject({ state: 'ok', store: 'shared' });
      expect(accountStatus.token?.generation).toBe(generation);
    }
    // Instance A took the token from Redis: no second exchange, no refresh.
    expect(sim.stats().tokenRequests).toBe(1);
  });

  it('the same callback delivered to both instances at once is exchanged exactly once', async () => {
    const before = await a.gateway.engine.store.read('ups-3p');
    const { carrier, cookie } = await begin(b);
    const callback = await callbackFor(carrier);
    const replies = await Promise.all([
      viaInstance(a, callback, { cookie }),
      viaInstance(b, callback, { cookie }),
    ]);
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([200, 400]);
    const refused = replies.find((reply) => reply.status === 400)!;
    expect(refused.body.code).toBe('ERR_OAUTH_STATE_INVALID');
    const accepted = replies.find((reply) => reply.status === 200)!;
    expect(sim.stats().tokenRequests).toBe(1);
    // A new token family under a newer fencing generation.
    const after = await a.gateway.engine.store.read('ups-3p');
    expect(after!.generation).toBe(accepted.body.generation);
    expect(after!.generation).toBeGreaterThan(before?.generation ?? 0);
    registerSecrets(after!.accessToken, after!.refreshToken ?? '');
    // Later deliveries of it, anywhere, are refused too.
    for (const instance of [a, b]) {
      expect((await viaInstance(instance, callback, { cookie })).body.code).toBe('ERR_OAUTH_STATE_INVALID');
    }
    expect(sim.stats().tokenRequests).toBe(1);
  });
});
