/**
 * @module test/fleet/sentinel-failover.test
 * The gateway on Redis Sentinel (a primary, a replica, three Sentinels; real processes), with a
 * client-credentials account and an authorization-code account whose refresh tokens are
 * single-use and rotate (the UPS simulator revokes the whole family when one is presented twice).
 *
 * 1. Three gateway processes serve both accounts without a pause while tokens refresh; the
 *    primary is SIGKILLed mid-traffic and the Sentinels promote the replica. Every request is
 *    answered 200 (cached tokens serve through the failover), no refresh-token family is burned,
 *    the rotating account goes on refreshing on the new primary, no two refreshes share a
 *    fencing generation, and the stored generation never goes back.
 * 2. The new primary lost the last writes: the replica is cut off (stopped, its link dropped)
 *    while an instance rotates the refresh token, then the primary is killed and the stale
 *    replica promoted. An instance that holds the newer token writes it back as soon as it
 *    reconnects, so an instance that knows only the store presents the live refresh token on its
 *    next refresh, not the spent one.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Writable } from 'node:stream';

import { Redis } from 'ioredis';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { parseConfig } from '../../config/load.js';
import { createGateway, type Gateway } from '../../src/gateway.js';
import { createLogger } from '../../src/platform/log.js';
import { TEST_SEALER } from '../support/engine.js';
import { startGatewayProcess, writeConfig, type GatewayProcess } from '../support/gateway-process.js';
import { eventually } from '../support/eventually.js';
import { captureChildOutput, registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { SENTINEL_MASTER_NAME, TestRedisSentinel } from '../support/redis-sentinel.js';

const API_KEY = `sentinel-shop-key-${randomUUID()}`;
const CLIENT = { clientId: 'sentinel-client', clientSecret: `sentinel-ups-secret-${randomUUID()}` };
registerSecrets(API_KEY, CLIENT.clientSecret);
const TRACK = '/api/track/v1/details/1Z12345E0205271688';

interface RefreshLine {
  instance: number;
  account: string;
  generation?: number;
  time: number;
}

/** The `token refreshed` lines of every instance: which account, which generation, when. */
function refreshes(lines: string[][]): RefreshLine[] {
  return lines.flatMap((log, instance) =>
    log
      .filter((line) => line.includes('"token refreshed"'))
      .map((line) => {
        const entry = JSON.parse(line) as { account: string; generation?: number; time: number };
        return {
          instance,
          account: entry.account,
          time: entry.time,
          ...(entry.generation !== undefined ? { generation: entry.generation } : {}),
        };
      }),
  );
}

/** A client that follows the Sentinels, reading the stored generation of each account. */
function sentinelClient(sentinel: TestRedisSentinel): Redis {
  const client = new Redis({
    sentinels: sentinel.nodes.map((node) => ({ host: '127.0.0.1', port: Number(node.split(':')[1]) })),
    name: SENTINEL_MASTER_NAME,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    commandTimeout: 500,
  });
  client.on('error', () => {});
  return client;
}

describe('a fleet on Redis Sentinel while the primary is killed', () => {
  const LIFETIME_SECONDS = 10;
  let sentinel: TestRedisSentinel;
  let ups: UpsSimulatorHandle;
  let fleet: GatewayProcess[] = [];
  const agent = new Agent({ connections: 8 });

  beforeAll(async () => {
    sentinel = await TestRedisSentinel.start();
    ups = await startUpsSimulator({ clients: [CLIENT], faults: { tokenLifetimeSeconds: LIFETIME_SECONDS } });
    const seed = ups.issueRefreshToken(CLIENT.clientId);
    registerSecrets(seed);
    const urls = `{ token: "${ups.url}/security/v1/oauth/token", api: "${ups.url}" }`;
    const config = writeConfig(`
redis: { sentinel: { nodes: ${JSON.stringify(sentinel.nodes)}, name: ${SENTINEL_MASTER_NAME} } }
log: { level: info }
clients: [{ id: shop, apiKey: "${API_KEY}", accounts: [ups-cc, ups-ac] }]
accounts:
  - id: ups-cc
    carrier: ups
    urls: ${urls}
    credentials: { clientId: ${CLIENT.clientId}, clientSecret: "${CLIENT.clientSecret}" }
  - id: ups-ac
    carrier: ups
    grant: authorization_code
    urls: ${urls}
    credentials: { clientId: ${CLIENT.clientId}, clientSecret: "${CLIENT.clientSecret}", refreshToken: "${seed}" }
`);
    fleet = await Promise.all([0, 1, 2].map(() => startGatewayProcess(config)));
  }, 60_000);

  afterAll(async () => {
    registerIssuedTokens(ups);
    await Promise.all(fleet.map((instance) => instance.stop()));
    await agent.close();
    await ups?.close();
    await sentinel?.stop();
  });

  it('keeps serving through the failover; no family burned, no generation twice, none going back', async () => {
    const statuses = new Map<string, number>();
    const generations = new Map<string, number[]>([
      ['ups-cc', []],
      ['ups-ac', []],
    ]);
    const watcher = sentinelClient(sentinel);
    let stop = false;
    const traffic = fleet.flatMap((instance) =>
      ['ups-cc', 'ups-ac', 'ups-cc', 'ups-ac'].map(async (account) => {
        while (!stop) {
          const response = await request(`${instance.url}/v1/carriers/${account}${TRACK}`, {
            headers: { authorization: `Bearer ${API_KEY}` },
            dispatcher: agent,
          });
          const body = await response.body.text();
          const key = `${account} ${response.statusCode}${response.statusCode === 200 ? '' : ` ${body}`}`;
          statuses.set(key, (statuses.get(key) ?? 0) + 1);
          await sleep(20);
        }
      }),
    );
    const sampling = (async () => {
      while (!stop) {
        for (const account of generations.keys()) {
          const generation = await watcher.hget(`cg:token:{${account}}`, 'gen').catch(() => null);
          if (generation !== null) generations.get(account)!.push(Number(generation));
        }
        await sleep(100);
      }
    })();

    // Warm up over a refresh cycle, then take the primary away in the middle of the traffic.
    await sleep(LIFETIME_SECONDS * 1_000 + 2_000);
    const before = ups.stats();
    expect(before.tokenRequests).toBeGreaterThanOrEqual(3);
    const killedAt = Date.now();
    const killed = await sentinel.killPrimary();
    const promoted = await sentinel.waitForPromotion(killed);
    const promotedAt = Date.now();
    // The failed node comes back empty; the Sentinels make it the new primary's replica.
    await sentinel.restartServer(killed);
    // Two more token lifetimes on the new primary.
    await sleep(LIFETIME_SECONDS * 2_000 + 1_000);
    stop = true;
    await Promise.all([...traffic, sampling]);
    watcher.disconnect();

    const report = JSON.stringify({
      statuses: Object.fromEntries(statuses),
      failoverMs: promotedAt - killedAt,
      killed,
      promoted,
    });
    // Every request through every instance was served, before, during and after the failover.
    expect([...statuses.keys()].sort(), report).toEqual(['ups-ac 200', 'ups-cc 200']);
    expect(statuses.get('ups-ac 200')).toBeGreaterThan(100);

    const stats = ups.stats();
    expect(stats.refreshTokenReuses, report).toBe(0);
    expect(stats.familiesRevoked, report).toBe(0);

    // The carrier's count and the instances' refresh lines, read at a moment they agree: a
    // refresh the carrier has answered may still be on its way to the log (instances batch their
    // lines and write them through a pipe), and the proactive refreshes go on meanwhile. A
    // refresh never logged keeps them apart, and the check below fails.
    let lines: RefreshLine[] = [];
    let carrierSaw = 0;
    await eventually(
      () => {
        carrierSaw = ups.stats().tokenRequests;
        lines = refreshes(fleet.map((instance) => instance.log()));
        return lines.length === carrierSaw;
      },
      { timeoutMs: 5_000 },
    ).catch(() => undefined);
    // The rotating account refreshed on the new primary, through the shared lock and store.
    const acAfter = lines.filter((line) => line.account === 'ups-ac' && line.time > promotedAt);
    expect(acAfter.length, report).toBeGreaterThanOrEqual(1);
    expect(acAfter.every((line) => line.generation !== undefined)).toBe(true);
    // Each shared refresh took its own generation: no two refreshes of one generation, fleet-wide.
    for (const account of ['ups-cc', 'ups-ac']) {
      const shared = lines.filter((line) => line.account === account && line.generation !== undefined);
      const taken = shared.map((line) => line.generation!);
      expect(new Set(taken).size, `${account}: ${JSON.stringify(shared)}`).toBe(taken.length);
    }
    // Every token request the carrier saw is a refresh some instance logged (nothing unaccounted).
    expect(lines.length).toBe(carrierSaw);
    // The stored generation rose and never went back, across the failover.
    for (const [account, seen] of generations) {
      expect(seen.length).toBeGreaterThan(50);
      for (let i = 1; i < seen.length; i += 1) expect(seen[i], account).toBeGreaterThanOrEqual(seen[i - 1]!);
      expect(seen.at(-1)!, account).toBeGreaterThan(seen[0]!);
    }
    // Every instance listens again on the new primary: token, breaker and override events.
    const primary = await sentinel.client();
    try {
      for (const channel of ['cg:token-events', 'cg:breaker-events', 'cg:override-events']) {
        const [, listeners] = (await primary.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
        expect(Number(listeners), channel).toBe(fleet.length);
      }
    } finally {
      primary.disconnect();
    }
    const counts = {
      tokenRequests: stats.tokenRequests,
      sharedRefreshes: lines.filter((line) => line.generation !== undefined).length,
      localRefreshes: lines.filter((line) => line.generation === undefined).length,
      rotatingRefreshesAfterFailover: acAfter.length,
    };
    console.info(`sentinel failover under traffic: ${report} ${JSON.stringify(counts)}`);
  }, 90_000);
});

describe('after a failover that lost the last writes', () => {
  const ADMIN_KEY = `sentinel-admin-key-${randomUUID()}`;
  registerSecrets(ADMIN_KEY);
  let sentinel: TestRedisSentinel;
  let ups: UpsSimulatorHandle;
  let yaml: string;
  const gateways: { gateway: Gateway; url: string; lines: string[] }[] = [];

  /** An in-process instance whose log lines are kept for the assertions (and the suite's secret scan). */
  async function startInstance(name: string): Promise<(typeof gateways)[number]> {
    const lines: string[] = [];
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        captureChildOutput(chunk);
        done();
      },
    });
    const gateway = await createGateway(parseConfig(yaml, `sentinel-${name}`), {
      log: createLogger({ level: 'debug', name: `sentinel-${name}`, destination }),
      sealer: TEST_SEALER,
    });
    const instance = { gateway, url: `http://127.0.0.1:${await gateway.listen(0, '127.0.0.1')}`, lines };
    gateways.push(instance);
    return instance;
  }

  beforeAll(async () => {
    sentinel = await TestRedisSentinel.start();
    ups = await startUpsSimulator({ clients: [CLIENT], faults: { tokenLifetimeSeconds: 3_600 } });
    const seed = ups.issueRefreshToken(CLIENT.clientId);
    registerSecrets(seed);
    yaml = stringify({
      listen: { port: 0, host: '127.0.0.1' },
      redis: { sentinel: { nodes: sentinel.nodes, name: SENTINEL_MASTER_NAME } },
      admins: [{ id: 'ops', apiKey: ADMIN_KEY }],
      clients: [{ id: 'shop', apiKey: API_KEY, accounts: ['ups-ac'] }],
      accounts: [
        {
          id: 'ups-ac',
          carrier: 'ups',
          grant: 'authorization_code',
          urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
          credentials: { ...CLIENT, refreshToken: seed },
        },
      ],
    });
  }, 60_000);

  afterAll(async () => {
    registerIssuedTokens(ups);
    await Promise.all(gateways.map(({ gateway }) => gateway.close()));
    await ups?.close();
    await sentinel?.stop();
  });

  const call = async (instance: (typeof gateways)[number]) =>
    (
      await fetch(`${instance.url}/v1/carriers/ups-ac${TRACK}`, {
        headers: { authorization: `Bearer ${API_KEY}` },
      })
    ).status;
  const refresh = async (instance: (typeof gateways)[number]) =>
    fetch(`${instance.url}/v1/admin/accounts/ups-ac/refresh`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'sentinel test' }),
    });

  it('an instance holding the newer token writes it back, and the next refresh presents the live refresh token', async () => {
    const a = await startInstance('a');
    const b = await startInstance('b');
    // Generation 1 from the seed, obtained by A and adopted by B from the store.
    expect(await call(a)).toBe(200);
    expect(await call(b)).toBe(200);
    expect(ups.stats().tokenRequests).toBe(1);

    // The replica is cut off; A rotates the refresh token: generation 2 and the claim of the
    // spent refresh token reach the primary only (B hears of it by pub/sub and adopts it).
    const replica = await sentinel.cutOffReplica();
    expect((await refresh(a)).status).toBe(200);
    expect(ups.stats().tokenRequests).toBe(2);
    expect(a.lines.some((line) => line.includes('no redis replica confirmed the last writes'))).toBe(true);

    // The primary dies; the replica, which never saw generation 2, is promoted.
    const killed = await sentinel.killPrimary();
    await sentinel.resumeServer(replica);
    expect(await sentinel.waitForPromotion(killed)).toBe(replica);

    // On reconnecting, an instance finds the store one generation behind and writes its token back.
    const restored = () =>
      [...a.lines, ...b.lines].find((line) => line.includes('redis had lost the current token'));
    const deadline = Date.now() + 15_000;
    while (restored() === undefined && Date.now() < deadline) await sleep(100);
    expect(JSON.parse(restored() ?? '{}')).toMatchObject({
      account: 'ups-ac',
      generation: 2,
      storedGeneration: 1,
    });
    const direct = await sentinel.client();
    try {
      expect(await direct.hget('cg:token:{ups-ac}', 'gen')).toBe('2');
    } finally {
      direct.disconnect();
    }

    // A new instance knows only the store. Without the write-back it would find generation 1 and
    // present its refresh token, spent by A's rotation, whose claim the failover lost: the
    // carrier would revoke the family. It takes generation 2 and refreshes from its token.
    const c = await startInstance('c');
    expect(await call(c)).toBe(200);
    expect(ups.stats().tokenRequests).toBe(2);
    expect((await refresh(c)).status).toBe(200);
    for (const instance of [a, b, c]) expect(await call(instance)).toBe(200);
    const stats = ups.stats();
    expect(stats.tokenRequests).toBe(3);
    expect(stats.refreshTokenReuses).toBe(0);
    expect(stats.familiesRevoked).toBe(0);
    expect(
      c.lines.some((line) => line.includes('"token refreshed"') && line.includes('"generation":3')),
    ).toBe(true);
  }, 60_000);
});
