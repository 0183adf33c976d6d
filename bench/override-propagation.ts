/**
 * @module bench/override-propagation
 * Section 6: how long a manual failover sent to one gateway takes to apply on the other instances
 * of a fleet sharing one Redis (README "Operations"). Three gateway processes (the real CLI);
 * rounds alternate `POST` and `DELETE /v1/admin/accounts/ups-main/failover` on instance A, so each
 * round writes a new override version. Every instance logs `override applied` with the account and
 * version (src/overrides/overrides.ts) and pino stamps the line with `Date.now()` of that process,
 * so B's and C's lines are compared with the runner's clock on the same machine: the time an
 * instance applied the change, not the time the runner noticed it. No carrier is called: a
 * failover target only has to have `shipping` configured (src/admin/admin-actions.ts).
 *
 * Run twice: as deployed (pub/sub, with the poll as backstop), and with B and C unable to
 * subscribe, so only the 500 ms poll of src/fleet-state/versioned-state.ts carries the change. The
 * second fleet needs no change to the gateway: B and C log in as a Redis ACL user that may run
 * every command but the SUBSCRIBE family, so their subscriptions are refused at startup (the
 * gateway logs "polling only") while their reads, writes and publishes work as usual.
 */
import { randomBytes } from 'node:crypto';

import { Redis } from 'ioredis';

import type { BenchSettings } from './settings.js';
import { assertAlive, startRedis } from './processes.js';
import { startGateway, writeConfig, type Service, type Simulator } from './targets.js';

/** The target: every instance applies an operator's override within 100 ms. */
export const OVERRIDE_TARGET_MS = 100;
/**
 * The re-read interval of src/fleet-state/versioned-state.ts (`pollMs ?? 500`); the CLI's
 * configuration has no key for it, so this is what a deployed fleet polls at.
 */
export const POLL_MS = 500;
/** How long a round waits for B and C: several poll intervals, so only a real loss counts as missed. */
const APPLY_WAIT_MS = 4 * POLL_MS;

const ACCOUNT = 'ups-main';
const FAILOVER_TO = 'ups-backup';
const ADMIN_KEY = `bench-admin-key-${randomBytes(12).toString('hex')}`;
const NO_SUBSCRIBE_USER = 'bench-no-subscribe';
const NO_SUBSCRIBE_PASSWORD = randomBytes(16).toString('hex');

export const PROPAGATION_MODES = ['pubsub', 'poll-only'] as const;
export type PropagationMode = (typeof PROPAGATION_MODES)[number];
/** The instances that learn of the change from Redis; A wrote it. */
export const WATCHERS = ['B', 'C'] as const;
export type Watcher = (typeof WATCHERS)[number];

export interface PropagationRound {
  index: number;
  command: 'failover' | 'restore';
  version: number;
  /** ms from sending the command to A's answer. */
  answerMs: number;
  /** Per watcher, ms from sending the command to its `override applied` line; undefined: not within APPLY_WAIT_MS. */
  afterSendMs: Record<Watcher, number | undefined>;
}

export interface PropagationRun {
  mode: PropagationMode;
  rounds: PropagationRound[];
  /** Subscribers of the override channel during the rounds: 3 with pub/sub, 1 (A) when polling only. */
  subscribers: number;
}

export interface OverridePropagationResult {
  instances: number;
  rounds: number;
  runs: PropagationRun[];
  /** Token and API requests the simulator saw during the section (expected: none). */
  carrierCalls: number;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Collects the `override applied` lines of ACCOUNT from one gateway's stdout: version → the epoch
 * ms in the line. Attached once the gateway is listening; the lines of its startup load come
 * before that and belong to no round.
 */
function watchApplied(service: Service): Map<number, number> {
  const applied = new Map<number, number>();
  let pending = '';
  service.child.process.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('override applied')) continue;
      let entry: { account?: string; version?: number; time?: number };
      try {
        entry = JSON.parse(line) as typeof entry;
      } catch {
        continue; // Not a log line of the gateway's own; it cannot be the one looked for.
      }
      if (entry.account === ACCOUNT && typeof entry.version === 'number' && typeof entry.time === 'number')
        applied.set(entry.version, entry.time);
    }
  });
  return applied;
}

async function appliedAt(applied: Map<number, number>, version: number): Promise<number | undefined> {
  const deadline = Date.now() + APPLY_WAIT_MS;
  // The time comes from the log line, so how often this looks does not change the figure.
  while (!applied.has(version) && Date.now() < deadline) await sleep(5);
  return applied.get(version);
}

function fleetConfig(sim: Simulator, redisUrl: string, keyPrefix: string): string {
  const account = (id: string) => ({
    id,
    carrier: 'ups',
    urls: { token: `${sim.url}/security/v1/oauth/token`, api: sim.url },
    // Never presented: nothing in this section asks for a token (carrierCalls checks it).
    credentials: { clientId: 'bench-ups-client', clientSecret: `unused-${randomBytes(8).toString('hex')}` },
    shipping: { shipperNumber: 'A1B2C3' },
  });
  return writeConfig(
    JSON.stringify({
      // info: both the "listening" line the runner waits for and `override applied` are info.
      listen: { port: 0, host: '127.0.0.1' },
      // No balancer to wait for: a stopped instance closes as soon as nothing is in flight.
      shutdown: { graceMs: 0 },
      redis: { url: redisUrl, keyPrefix },
      log: { level: 'info' },
      admins: [{ id: 'bench-oncall', apiKey: ADMIN_KEY }],
      clients: [
        {
          id: 'bench-shop',
          apiKey: `bench-shop-key-${randomBytes(12).toString('hex')}`,
          accounts: [ACCOUNT, FAILOVER_TO],
        },
      ],
      accounts: [account(ACCOUNT), account(FAILOVER_TO)],
    }),
  );
}

async function subscribers(redis: Redis, channel: string): Promise<number> {
  const reply = (await redis.call('PUBSUB', 'NUMSUB', channel)) as [string, number];
  return Number(reply[1]);
}

/** The failover or the restore on A; resolves with the version A wrote and its answer time. */
async function command(
  a: Service,
  kind: PropagationRound['command'],
  index: number,
): Promise<{ version: number; sentAt: number; answeredAt: number }> {
  const sentAt = Date.now();
  const response = await fetch(`${a.url}/v1/admin/accounts/${ACCOUNT}/failover`, {
    method: kind === 'failover' ? 'POST' : 'DELETE',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(
      kind === 'failover'
        ? { to: FAILOVER_TO, reason: `bench round ${index}` }
        : { reason: `bench round ${index}` },
    ),
  });
  const body = (await response.json()) as { version?: number; code?: string };
  const answeredAt = Date.now();
  if (response.status !== 200 || typeof body.version !== 'number')
    throw new Error(`${kind} on A: HTTP ${response.status} ${body.code ?? ''}`);
  return { version: body.version, sentAt, answeredAt };
}

async function runFleet(
  mode: PropagationMode,
  sim: Simulator,
  redisUrl: string,
  admin: Redis,
  rounds: number,
  log: (line: string) => void,
): Promise<PropagationRun> {
  const keyPrefix = `bench-override-${mode}:`;
  const channel = `${keyPrefix}override-events`;
  const writerConfig = fleetConfig(sim, redisUrl, keyPrefix);
  const watcherConfig =
    mode === 'pubsub'
      ? writerConfig
      : fleetConfig(
          sim,
          redisUrl.replace('redis://', `redis://${NO_SUBSCRIBE_USER}:${NO_SUBSCRIBE_PASSWORD}@`),
          keyPrefix,
        );
  const fleet = await Promise.all([
    startGateway(writerConfig, `override-${mode}-A`),
    ...WATCHERS.map((name) => startGateway(watcherConfig, `override-${mode}-${name}`)),
  ]);
  try {
    const [a, ...watchers] = fleet as [Service, Service, Service];
    const applied = watchers.map(watchApplied);
    // SUBSCRIBE is sent at startup but not awaited before listening: wait until the channel has
    // the subscribers this mode expects, or the first rounds would measure a subscription race.
    const expected = mode === 'pubsub' ? fleet.length : 1;
    const deadline = Date.now() + 10_000;
    while ((await subscribers(admin, channel)) !== expected) {
      if (Date.now() > deadline)
        throw new Error(`${mode}: ${await subscribers(admin, channel)} subscribers, expected ${expected}`);
      await sleep(20);
    }
    log(`  ${mode}: 3 gateway processes, ${expected} subscribed to ${channel}`);

    const measured: PropagationRound[] = [];
    for (let index = 0; index < rounds; index += 1) {
      // A random pause, so that commands land at every phase of the watchers' poll timers rather
      // than just after the poll that applied the previous round.
      await sleep(Math.random() * POLL_MS);
      const kind = index % 2 === 0 ? 'failover' : 'restore';
      const { version, sentAt, answeredAt } = await command(a, kind, index);
      const times = await Promise.all(applied.map((map) => appliedAt(map, version)));
      assertAlive();
      const afterSendMs = Object.fromEntries(
        WATCHERS.map((name, i) => [name, times[i] === undefined ? undefined : times[i] - sentAt]),
      ) as Record<Watcher, number | undefined>;
      measured.push({ index: index + 1, command: kind, version, answerMs: answeredAt - sentAt, afterSendMs });
    }
    const during = await subscribers(admin, channel);
    if (during !== expected)
      throw new Error(`${mode}: ${during} subscribers after the rounds, expected ${expected}`);
    return { mode, rounds: measured, subscribers: during };
  } finally {
    await Promise.all(fleet.map((service) => service.child.stop()));
  }
}

export async function runOverridePropagation(
  sim: Simulator,
  settings: BenchSettings,
  log: (line: string) => void,
): Promise<OverridePropagationResult> {
  const redis = await startRedis();
  const admin = new Redis(redis.url, { maxRetriesPerRequest: 0 });
  try {
    // Every command, key and channel (PUBLISH included: the compare-and-set script publishes),
    // but no subscription of any kind.
    await admin.call(
      'ACL',
      'SETUSER',
      NO_SUBSCRIBE_USER,
      'reset',
      'on',
      `>${NO_SUBSCRIBE_PASSWORD}`,
      '~*',
      '&*',
      '+@all',
      '-subscribe',
      '-psubscribe',
      '-ssubscribe',
    );
    const before = await sim.stats();
    const runs: PropagationRun[] = [];
    for (const mode of PROPAGATION_MODES)
      runs.push(await runFleet(mode, sim, redis.url, admin, settings.override.rounds, log));
    const after = await sim.stats();
    return {
      instances: 3,
      rounds: settings.override.rounds,
      runs,
      carrierCalls: after.tokenRequests - before.tokenRequests + (after.apiRequests - before.apiRequests),
    };
  } finally {
    admin.disconnect();
    await redis.child.stop();
  }
}
