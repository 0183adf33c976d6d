/**
 * @module test/health/probes-scale
 * Probes at scale (issue 11), on the UPS and OAuth 2.0 simulators:
 * - 10,000 accounts' slots spread evenly over the interval, each one stable;
 * - a scheduled probe is skipped when the account's real traffic in the interval all succeeded,
 *   and runs when that traffic failed or there was none;
 * - `tokenQuotaShare` 0 of a quota: no scheduled probe requests a token; once a token is held
 *   (real traffic got one), the probe reuses it and requests none;
 * - with a fleet on a real Redis (the lease), a carrier probed by fresh issuance gets one per
 *   token lifetime: later probes of the fleet use the shared token until the issued one lapses.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startOAuth2Simulator, type OAuth2SimulatorHandle } from '../../carriers/oauth2/simulator.js';
import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import type { ProbeResult } from '../../src/health/health-service.js';
import { nextProbeAt, probeSlotMs } from '../../src/probes/prober.js';
import { configuredAccounts } from '../support/engine.js';
import { eventually } from '../support/eventually.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { proberStack, soonSuffix, stackConnection, type ProberStack } from '../support/prober-stack.js';
import { TestRedis } from '../support/redis-server.js';

const UPS_CLIENT = { clientId: 'probe-scale-ups', clientSecret: `probe-scale-ups-${randomUUID()}` };
const OAUTH2_CLIENT = { clientId: 'probe-scale-oauth2', clientSecret: `probe-scale-oauth2-${randomUUID()}` };
registerSecrets(UPS_CLIENT.clientSecret, OAUTH2_CLIENT.clientSecret);

let ups: UpsSimulatorHandle;
let oauth2: OAuth2SimulatorHandle;
let redis: TestRedis;
const stacks: ProberStack[] = [];

beforeAll(async () => {
  ups = await startUpsSimulator({ clients: [UPS_CLIENT] });
  oauth2 = await startOAuth2Simulator({ clients: [OAUTH2_CLIENT] });
  redis = await TestRedis.start();
});

afterAll(async () => {
  for (const stack of stacks.splice(0)) await stack.close();
  registerIssuedTokens(ups, oauth2);
  await ups?.close();
  await oauth2?.close();
  await redis?.kill();
});

function upsAccount(id: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id,
    carrier: 'ups',
    urls: { token: `${ups.url}/security/v1/oauth/token`, api: ups.url },
    credentials: UPS_CLIENT,
    ...extra,
  };
}

/** Waits until just after the account's next slot has passed (and the probe it starts has had time). */
async function pastNextSlot(id: string, intervalMs: number): Promise<void> {
  const now = Date.now();
  await sleep(nextProbeAt(id, now, intervalMs) - now + 400);
}

describe('probe slots', () => {
  it('spread 10,000 accounts evenly over the interval, each at a stable slot', () => {
    const intervalMs = 60_000;
    const bins = Array.from({ length: 10 }, () => 0);
    for (let index = 0; index < 10_000; index += 1) {
      const slot = probeSlotMs(`ups-${String(index).padStart(5, '0')}`, intervalMs);
      expect(slot).toBeGreaterThanOrEqual(0);
      expect(slot).toBeLessThan(intervalMs);
      bins[Math.floor(slot / (intervalMs / 10))]! += 1;
    }
    for (const count of bins) {
      expect(count).toBeGreaterThan(850);
      expect(count).toBeLessThan(1_150);
    }
    expect(probeSlotMs('ups-04242', intervalMs)).toBe(probeSlotMs('ups-04242', intervalMs));
    const at = nextProbeAt('ups-04242', 1_000_000, intervalMs);
    expect(at).toBeGreaterThan(1_000_000);
    expect(at - 1_000_000).toBeLessThanOrEqual(intervalMs);
    expect(at % intervalMs).toBe(probeSlotMs('ups-04242', intervalMs));
  });
});

describe('scheduled probes', () => {
  it('skip an account whose real traffic in the interval succeeded, not one whose traffic failed', async () => {
    const intervalMs = 60_000;
    // Slots 5 to 7 s away: after the set-up below, before the test's patience ends.
    const served = soonSuffix('ups-served-', intervalMs, 7_000, 5_000);
    const failing = soonSuffix('ups-failing-', intervalMs, 7_000, 5_000);
    const ids = { served: `ups-served-${served}`, failing: `ups-failing-${failing}` };
    const stack = proberStack({
      name: 'probes-scale-skip',
      accounts: configuredAccounts([upsAccount(ids.served), upsAccount(ids.failing)]),
      prober: { intervalMs, jitterMs: 0 },
    });
    stacks.push(stack);
    // Each has a recent probe (an operator's), then traffic: all good for one, a failure for the other.
    const before: Record<string, ProbeResult> = {
      served: await stack.prober.runOnce(ids.served),
      failing: await stack.prober.runOnce(ids.failing),
    };
    stack.recorder.record({ account: ids.served, source: 'api', ok: true, status: 200 });
    stack.recorder.record({ account: ids.failing, source: 'api', ok: true, status: 200 });
    stack.recorder.record({
      account: ids.failing,
      source: 'api',
      ok: false,
      status: 503,
      failureClass: 'downstream.server_error',
    });
    await stack.recorder.flush();
    // Both slots are still ahead: whatever happens at them is the scheduler's doing.
    const slots = Object.values(ids).map((id) => nextProbeAt(id, Date.now(), intervalMs));
    for (const slot of slots) expect(slot - Date.now()).toBeLessThan(7_000);
    stack.prober.start();
    await eventually(() => stack.prober.last(ids.failing)?.at !== before.failing.at, {
      timeoutMs: 12_000,
      what: 'the account whose traffic failed is probed at its slot',
    });
    await sleep(Math.max(0, slots[0]! + 500 - Date.now()));
    expect(stack.prober.last(ids.served)?.at).toBe(before.served.at);
  }, 30_000);

  it('spend no token request past tokenQuotaShare, and reuse the token once one is held', async () => {
    const intervalMs = 2_000;
    const id = `ups-quota-${soonSuffix('ups-quota-', intervalMs, 600)}`;
    const stack = proberStack({
      name: 'probes-scale-quota',
      accounts: configuredAccounts([upsAccount(id, { tokenQuotaPerHour: 100 })]),
      prober: { intervalMs, jitterMs: 0, tokenQuotaShare: { ups: 0 } },
    });
    stacks.push(stack);
    const tokenRequests = () => ups.stats().tokenRequests;
    const before = tokenRequests();
    stack.prober.start();
    await pastNextSlot(id, intervalMs);
    // No token held, none to be requested: the probe does not run.
    expect(stack.prober.last(id)).toBeNull();
    expect(tokenRequests()).toBe(before);

    // Real traffic gets a token; the next probe runs with it and requests none.
    await stack.engine.manager(id).getToken();
    const afterTraffic = tokenRequests();
    await eventually(() => stack.prober.last(id) !== null, {
      timeoutMs: intervalMs + 2_000,
      what: 'the probe runs with the held token',
    });
    const result = stack.prober.last(id)!;
    expect(result.ok).toBe(true);
    expect(result.steps.find((step) => step.name === 'token')?.detail).toMatch(/^shared token/);
    expect(tokenRequests()).toBe(afterTraffic);
  });
});

describe('fresh issuance across a fleet (real Redis)', () => {
  it('happens once per token lifetime: the fleet then probes with the shared token until it lapses', async () => {
    const intervalMs = 300;
    const id = `oauth2-fresh-${randomUUID().slice(0, 8)}`;
    const accounts = configuredAccounts([
      {
        id,
        carrier: 'oauth2',
        urls: { token: `${oauth2.url}/oauth/token`, api: oauth2.url },
        credentials: OAUTH2_CLIENT,
        oauth2: { clientAuthentication: 'client_secret_basic' },
      },
    ]);
    const keyPrefix = `probes-scale-${randomUUID().slice(0, 8)}:`;
    const fleet: ProberStack[] = [];
    for (const name of ['probes-scale-a', 'probes-scale-b']) {
      const stack = proberStack({
        name,
        accounts,
        connection: await stackConnection(redis.url, keyPrefix, name),
        prober: { intervalMs, jitterMs: 0, refreshMs: 100 },
      });
      stacks.push(stack);
      fleet.push(stack);
    }
    // Every result either instance saw, by time: how its token step got the token.
    const seen = new Map<string, string>();
    const watch = setInterval(() => {
      for (const stack of fleet) {
        const result = stack.prober.last(id);
        const token = result?.steps.find((step) => step.name === 'token');
        if (result && token?.detail) seen.set(result.at, token.detail);
      }
    }, 20);
    const fresh = () => [...seen.values()].filter((detail) => detail.startsWith('fresh issuance')).length;
    try {
      for (const stack of fleet) stack.prober.start();
      await eventually(() => seen.size >= 5, { timeoutMs: 10_000, what: 'five probes of the fleet' });
      expect(fresh()).toBe(1);
      // The issued token's lifetime is over (its record dropped, as its expiry would): one more.
      const admin = redis.client();
      await admin.del(`${keyPrefix}probe-fresh:${id}`);
      admin.disconnect();
      const count = seen.size;
      await eventually(() => seen.size >= count + 3, { timeoutMs: 10_000, what: 'three more probes' });
      expect(fresh()).toBe(2);
    } finally {
      clearInterval(watch);
    }
  });
});
