/**
 * @module test/integration/token-faults
 * Each token-endpoint fault seen in production, against the carrier simulators, through the
 * gateway's proxy on a real Redis: classified with its stable code (and the carrier's own code
 * kept) and handled as the token engine promises: retried when waiting helps, never hammered,
 * and never confused with one another.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { parseConfig } from '../../config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import type { SimFaults, SimulatorHandle } from '../../src/sim/index.js';
import { TEST_SEALER } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';
import { TestRedis } from '../support/redis-server.js';

const API_KEY = 'faults-shop-key-0123456789';
const UPS_SECRET = 'faults-ups-secret-0123456789';
const FEDEX_SECRET = 'faults-fedex-secret-0123456789';

interface Problem {
  code: string;
  carrierCode?: string;
  detail?: string;
  retryAfterSeconds?: number;
}

/** Runs `check` while the carrier knows `client` by `rotated` only (the account still has `secret`), then restores it. */
async function whileRotated(
  sim: { rotateSecret(clientId: string, secret: string): void },
  client: string,
  secret: string,
  rotated: string,
  check: () => Promise<void>,
): Promise<void> {
  sim.rotateSecret(client, rotated);
  registerSecrets(rotated);
  try {
    await check();
  } finally {
    sim.rotateSecret(client, secret);
  }
}

describe('token endpoint faults', () => {
  let redis: TestRedis;
  let ups: UpsSimulatorHandle;
  let fedex: SimulatorHandle;
  let gateway: Gateway;
  let base = '';
  const used = { ups: 0, fedex: 0 };

  beforeAll(async () => {
    registerSecrets(API_KEY, UPS_SECRET, FEDEX_SECRET);
    redis = await TestRedis.start();
    ups = await startUpsSimulator({ clients: [{ clientId: 'faults-ups', clientSecret: UPS_SECRET }] });
    fedex = await startFedexSimulator({
      clients: [{ clientId: 'faults-fedex', clientSecret: FEDEX_SECRET }],
    });
    // Ten fresh accounts per carrier, one per test, so no state leaks from one fault to the next.
    const upsAccounts = Array.from({ length: 10 }, (_, i) => `ups-${i}`);
    const fedexAccounts = Array.from({ length: 10 }, (_, i) => `fedex-${i}`);
    /** One YAML account block per id, all with these URLs and credentials. */
    const blocks = (
      ids: string[],
      carrier: string,
      token: string,
      api: string,
      clientId: string,
      secret: string,
    ) =>
      ids
        .map(
          (id) => `  - id: ${id}
    carrier: ${carrier}
    urls: { token: "${token}", api: "${api}" }
    credentials: { clientId: ${clientId}, clientSecret: "${secret}" }`,
        )
        .join('\n');
    const config = parseConfig(
      `
redis: { url: "${redis.url}" }
# A token refused at 1.1 s old is past this window: the premature-expiry case below is a stale
# token, not a young one (the young-token rule has its own tests, test/proxy/token-churn.test.ts).
auth: { youngTokenSeconds: 1 }
clients: [{ id: shop, apiKey: "${API_KEY}", accounts: [${[...upsAccounts, ...fedexAccounts].join(', ')}] }]
accounts:
${blocks(upsAccounts, 'ups', `${ups.url}/security/v1/oauth/token`, ups.url, 'faults-ups', UPS_SECRET)}
${blocks(fedexAccounts, 'fedex', `${fedex.url}/oauth/token`, fedex.url, 'faults-fedex', FEDEX_SECRET)}
`,
      'test',
    );
    gateway = await createGateway(config, {
      log: testLogger('faults'),
      sealer: TEST_SEALER,
      engine: {
        manager: {
          retry: { maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200, maxRetryAfterMs: 3_000 },
          cooldown: { baseMs: 1_000, maxMs: 5_000 },
        },
      },
    });
    base = `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`;
  });

  afterEach(async () => {
    await ups.resetFaults();
    await fedex.resetFaults();
  });

  afterAll(async () => {
    registerIssuedTokens(ups, fedex);
    await gateway?.close();
    await ups?.close();
    await fedex?.close();
    await redis?.kill();
  });

  const nextAccount = (carrier: 'ups' | 'fedex') => {
    if (used[carrier] >= 10) throw new Error(`add more ${carrier} accounts to the test configuration`);
    return `${carrier}-${used[carrier]++}`;
  };

  async function call(account: string) {
    const path = account.startsWith('ups')
      ? '/api/track/v1/details/1Z12345E0205271688'
      : '/track/v1/trackingnumbers';
    const response = await fetch(`${base}/v1/carriers/${account}${path}`, {
      method: account.startsWith('ups') ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
      ...(account.startsWith('ups')
        ? {}
        : {
            body: JSON.stringify({
              trackingInfo: [{ trackingNumberInfo: { trackingNumber: '123456789012' } }],
            }),
          }),
    });
    const text = await response.text();
    return {
      status: response.status,
      problem: response.headers.get('content-type')?.includes('problem')
        ? (JSON.parse(text) as Problem)
        : null,
      retryAfter: response.headers.get('retry-after'),
    };
  }

  /**
   * A fresh account of `carrier`, these faults at its simulator, then one call: its result, how
   * long it took, and the token requests the simulator has seen since.
   */
  async function firstCallUnder(carrier: 'ups' | 'fedex', faults: Partial<SimFaults>) {
    const sim = carrier === 'ups' ? ups : fedex;
    const account = nextAccount(carrier);
    await sim.setFaults(faults);
    const before = sim.stats().tokenRequests;
    const started = Date.now();
    const result = await call(account);
    return {
      account,
      result,
      elapsedMs: Date.now() - started,
      tokenRequests: () => sim.stats().tokenRequests - before,
    };
  }

  it('UPS: HTTP 200 carrying invalid_client is a failure with the carrier code, not retried, then cooled down', async () => {
    const {
      account,
      result: first,
      tokenRequests,
    } = await firstCallUnder('ups', { errorInSuccessBody: true });
    expect(first.status).toBe(502);
    expect(first.problem).toMatchObject({ code: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY', carrierCode: '10401' });
    expect(tokenRequests()).toBe(1);
    // Within the cooldown the endpoint is left alone and the client is told when to come back.
    const second = await call(account);
    expect(second.problem).toMatchObject({ code: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY', carrierCode: '10401' });
    expect(second.problem?.detail).toMatch(/cooling down/);
    expect(Number(second.retryAfter)).toBeGreaterThan(0);
    expect(tokenRequests()).toBe(1);
  });

  it('FedEx: HTTP 200 carrying NOT.AUTHORIZED.ERROR keeps the FedEx code', async () => {
    const { result } = await firstCallUnder('fedex', { errorInSuccessBody: true });
    expect(result.status).toBe(502);
    expect(result.problem).toMatchObject({
      code: 'ERR_TOKEN_ERROR_IN_SUCCESS_BODY',
      carrierCode: 'NOT.AUTHORIZED.ERROR',
    });
  });

  it('invalid_client after a secret rotation: classified, not retried, visible in the account status', async () => {
    const account = nextAccount('ups');
    await whileRotated(ups, 'faults-ups', UPS_SECRET, 'faults-ups-rotated-secret-0123', async () => {
      const before = ups.stats().tokenRequests;
      const result = await call(account);
      expect(result.status).toBe(502);
      expect(result.problem).toMatchObject({ code: 'ERR_TOKEN_INVALID_CLIENT', carrierCode: '10401' });
      expect(ups.stats().tokenRequests - before).toBe(1);
      const status = await gateway.engine.manager(account).status();
      expect(status.state).toBe('cooldown');
      expect(status.lastRefresh).toMatchObject({
        outcome: 'failure',
        code: 'ERR_TOKEN_INVALID_CLIENT',
        carrierCode: '10401',
      });
    });
  });

  it('FedEx invalid credentials: 401 NOT.AUTHORIZED.ERROR is invalid_client', async () => {
    const account = nextAccount('fedex');
    await whileRotated(fedex, 'faults-fedex', FEDEX_SECRET, 'faults-fedex-rotated-secret-01', async () => {
      const result = await call(account);
      expect(result.problem).toMatchObject({
        code: 'ERR_TOKEN_INVALID_CLIENT',
        carrierCode: 'NOT.AUTHORIZED.ERROR',
      });
    });
  });

  it('429 with Retry-After: waits as told, then succeeds', async () => {
    const { result, elapsedMs, tokenRequests } = await firstCallUnder('ups', {
      throttle: { count: 1, retryAfterSeconds: 1 },
    });
    expect(result.status).toBe(200);
    expect(elapsedMs).toBeGreaterThanOrEqual(950);
    expect(tokenRequests()).toBe(2);
  });

  it('429 without Retry-After: backs off and succeeds', async () => {
    const { result, tokenRequests } = await firstCallUnder('fedex', { throttle: { count: 2 } });
    expect(result.status).toBe(200);
    expect(tokenRequests()).toBe(3);
  });

  it('a 429 storm: bounded attempts, then ERR_TOKEN_ENDPOINT_THROTTLED and a cooldown that stops the hammering', async () => {
    const { account, result, tokenRequests } = await firstCallUnder('ups', { throttle: { count: 50 } });
    expect(result.status).toBe(503);
    expect(result.problem).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_THROTTLED', carrierCode: '10429' });
    expect(tokenRequests()).toBe(3);
    for (let i = 0; i < 5; i += 1) await call(account);
    expect(tokenRequests()).toBe(3);
  });

  it('a Retry-After longer than the retry budget becomes the cooldown', async () => {
    const { account, result } = await firstCallUnder('fedex', {
      throttle: { count: 1, retryAfterSeconds: 30 },
    });
    expect(result.problem).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_THROTTLED' });
    const again = await call(account);
    expect(again.problem?.retryAfterSeconds).toBeGreaterThan(20);
  });

  it('5xx on the token endpoint is retried', async () => {
    const { result, tokenRequests } = await firstCallUnder('fedex', { tokenServerErrors: 1 });
    expect(result.status).toBe(200);
    expect(tokenRequests()).toBe(2);
  });

  it('outage with refused connections: ERR_TOKEN_ENDPOINT_UNREACHABLE, and served again once the endpoint is back', async () => {
    const { account, result } = await firstCallUnder('fedex', { outage: 'refuse' });
    expect(result.status).toBe(502);
    expect(result.problem).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_UNREACHABLE' });
    await fedex.setFaults({ outage: 'none' });
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await call(account)).status).toBe(200);
  });

  it('outage with reset connections: ERR_TOKEN_ENDPOINT_UNREACHABLE after bounded retries', async () => {
    const account = nextAccount('ups');
    await ups.setFaults({ outage: 'reset' });
    const before = ups.stats().connectionsReset;
    const result = await call(account);
    expect(result.problem).toMatchObject({ code: 'ERR_TOKEN_ENDPOINT_UNREACHABLE' });
    expect(ups.stats().connectionsReset - before).toBe(3);
  });

  it('tokens rejected before their expires_in: invalidated, refreshed once, request retried, counted', async () => {
    const account = nextAccount('ups');
    await ups.setFaults({ prematureExpirySeconds: 1 });
    expect((await call(account)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    const before = ups.stats().tokenRequests;
    expect((await call(account)).status).toBe(200);
    expect(ups.stats().tokenRequests - before).toBe(1);
    const status = await gateway.engine.manager(account).status();
    expect(status.prematureRejections).toBe(1);
  });

  it('a carrier clock 5 minutes ahead is measured and does not shorten or stretch the token life', async () => {
    const account = nextAccount('ups');
    await ups.setFaults({ skewSeconds: 300 });
    expect((await call(account)).status).toBe(200);
    const status = await gateway.engine.manager(account).status();
    expect(status.clockSkewMs).toBeGreaterThan(298_000);
    expect(status.clockSkewMs).toBeLessThan(302_000);
    // issued_at is 5 minutes "in the future" on our clock; corrected, the token lives its full 14399 s.
    expect(status.token?.expiresInSeconds).toBeGreaterThan(14_390);
    expect(status.token?.expiresInSeconds).toBeLessThanOrEqual(14_399);
  });

  it('a carrier clock 5 minutes behind is measured and the token is still used for its life', async () => {
    const account = nextAccount('ups');
    await ups.setFaults({ skewSeconds: -300 });
    expect((await call(account)).status).toBe(200);
    const status = await gateway.engine.manager(account).status();
    expect(status.clockSkewMs).toBeLessThan(-298_000);
    expect(status.token?.expiresInSeconds).toBeGreaterThan(14_390);
  });

  it('counts token requests per account per hour', async () => {
    const account = nextAccount('fedex');
    await call(account);
    const status = await gateway.engine.manager(account).status();
    expect(status.tokenRequests?.thisHour).toBeGreaterThanOrEqual(1);
  });
});
