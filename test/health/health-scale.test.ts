/**
 * @module test/health/health-scale
 * The health of every account at once (the alerter's tick, `GET /v1/health/carriers`) reads
 * history only for the accounts that had events: with 300 accounts of which 2 saw traffic, the
 * history hashes read are those of 2 accounts, found with one read of `health-active`, and no
 * score minute is written for the 298 quiet ones. Their reports are still complete. A page worst
 * first builds the reports of those 2 and of the page only. Ranking accounts with events (a
 * status filter, the severity order) reads their last hour and shared state a batch at a time.
 */
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { TestRedis } from '../support/redis-server.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const ACCOUNTS = 300;
const HOURS_PER_DAY_READ = 25;

let redis: TestRedis;
let admin: Redis;
let instance: TestGateway;

beforeAll(async () => {
  redis = await TestRedis.start();
  admin = redis.client();
  const ids = Array.from({ length: ACCOUNTS }, (_, index) => `ups-${index}`);
  instance = await startTestGateway({
    name: 'health-scale',
    listen: false,
    yaml: JSON.stringify({
      listen: { port: 0, host: '127.0.0.1' },
      redis: { url: redis.url, keyPrefix: 'health-scale:' },
      clients: [{ id: 'shop', apiKey: 'health-scale-shop-key-0123456789', accounts: ids }],
      accounts: ids.map((id) => ({
        id,
        carrier: 'ups',
        urls: { token: 'http://127.0.0.1:9/security/v1/oauth/token', api: 'http://127.0.0.1:9' },
        credentials: { clientId: 'health-client', clientSecret: 'health-scale-secret-0123456789' },
      })),
    }),
  });
});

afterAll(async () => {
  admin?.disconnect();
  await closeTestGatewaysAnd(redis);
});

async function calls(command: string): Promise<number> {
  const info = await admin.info('commandstats');
  return Number(new RegExp(`^cmdstat_${command}:calls=(\\d+)`, 'm').exec(info)?.[1] ?? 0);
}

describe('health of every account', () => {
  it('reads the history of the accounts with events only, and reports every account', async () => {
    const { recorder, health } = instance.gateway;
    recorder.record({ account: 'ups-7', source: 'api', ok: true, status: 200 });
    recorder.record({
      account: 'ups-250',
      source: 'token',
      ok: false,
      failureClass: 'token_endpoint.unreachable',
    });
    await recorder.flush();

    const readsBefore = await calls('hgetall');
    const scoresBefore = await calls('hset');
    const reports = await health.reports();
    const reads = (await calls('hgetall')) - readsBefore;
    const scoreWrites = (await calls('hset')) - scoresBefore;

    expect(reports).toHaveLength(ACCOUNTS);
    // History: the hour hashes of 2 accounts; besides, each token status reads its state hash once.
    expect(reads).toBeLessThanOrEqual(2 * HOURS_PER_DAY_READ + ACCOUNTS);
    expect(reads).toBeGreaterThan(ACCOUNTS);
    expect(scoreWrites).toBe(2);
    const byId = new Map(reports.map((report) => [report.account, report]));
    expect(byId.get('ups-250')!.failures['1h']).toMatchObject({ 'token_endpoint.unreachable': 1 });
    // A quiet account: nothing happened, nothing failed, a score all the same.
    const quiet = byId.get('ups-100')!;
    expect(quiet.failures['24h']).toEqual({});
    expect(typeof quiet.score).toBe('number');
    expect(quiet.trend).toHaveLength(96);
    // Its own report (one account) reads its history as before.
    const single = await health.report('ups-7');
    expect(single.trend.some((point) => point.successRate === 1)).toBe(true);
  });

  it('builds a severity page from the accounts with events and the page, not the fleet', async () => {
    const { health } = instance.gateway;
    const readsBefore = await calls('hgetall');
    const page = await health.severityPage({ offset: 0, limit: 10 });
    const reads = (await calls('hgetall')) - readsBefore;
    // ups-250 (token failures) on top, then the healthy ones by id (ups-7 among them, at 100).
    expect(page.reports.map((report) => report.account)).toEqual([
      'ups-250',
      ...['ups-0', 'ups-1', 'ups-10', 'ups-100', 'ups-101', 'ups-102', 'ups-103', 'ups-104', 'ups-105'],
    ]);
    expect(page.total).toBe(ACCOUNTS);
    expect(page.counts).toEqual({ down: 0, degraded: 1, healthy: ACCOUNTS - 1 });
    // History of the 2 accounts with events, and one token status per report built: 2 + 9.
    expect(reads).toBeLessThanOrEqual(2 * HOURS_PER_DAY_READ + 11);
  });

  it('ranks every account with events for a status filter in a few Redis commands, not several each', async () => {
    const { recorder, health, redis: connection } = instance.gateway;
    for (let index = 0; index < ACCOUNTS; index += 1)
      recorder.record({ account: `ups-${index}`, source: 'api', ok: true, status: 200 });
    await recorder.flush();
    // What the gateway sends (Redis's own counters also count the commands its scripts run).
    const client = connection!.client as unknown as { sendCommand: (...args: unknown[]) => unknown };
    const send = client.sendCommand;
    let sent = 0;
    client.sendCommand = function (this: unknown, ...args: unknown[]) {
      sent += 1;
      return send.apply(this, args);
    };
    try {
      const page = await health.page({ status: 'down', limit: 100 });
      expect(page.reports).toEqual([]);
    } finally {
      client.sendCommand = send;
    }
    // Every account has events now and is ranked: its last hour and its shared state, read a
    // batch of accounts at a time (two scripts a batch), not four commands an account.
    expect(sent).toBeLessThan(ACCOUNTS / 10);
    const severity = await health.severityPage({ offset: 0, limit: 5 });
    expect(severity.total).toBe(ACCOUNTS);
    expect(severity.reports[0]!.account).toBe('ups-250');
  });
});
