/**
 * @module test/support/prober-stack
 * What the probe tests run a Prober on, assembled as the gateway does it but without a server:
 * a token engine, operator overrides, auth breakers, the health recorder (whose events are
 * collected) and the prober, in memory or on a real Redis (a connection of its own per stack, so
 * several stacks with one key prefix are a fleet). `close()` stops them all, in the gateway's
 * order, and closes the connection.
 */
import { TokenEngine, type TokenEngineOptions } from '../../src/auth/token-engine.js';
import { AuthBreakers, type BreakerPolicy, type BreakerState } from '../../src/breaker/auth-breaker.js';
import { MemoryTrialLease, RedisTrialLease } from '../../src/breaker/trial-lease.js';
import type { ConfiguredAccount } from '../../src/core/account.js';
import { VersionedState } from '../../src/fleet-state/versioned-state.js';
import { MemoryHistoryStore, RedisHistoryStore } from '../../src/health/history.js';
import { HealthRecorder, type HealthEvent } from '../../src/health/recorder.js';
import { AccountOverrides } from '../../src/overrides/overrides.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { nextProbeAt, Prober, type ProberOptions } from '../../src/probes/prober.js';
import { TEST_SEALER } from './engine.js';
import { testLogger } from './log-capture.js';

export interface ProberStackOptions {
  /** The logger's name. */
  name: string;
  accounts: ConfiguredAccount[];
  /** Shared mode: tokens, breakers, overrides, history and probe results through this connection. */
  connection?: RedisConnection;
  engine?: Omit<Partial<TokenEngineOptions>, 'accounts' | 'log' | 'redis' | 'sealer'>;
  breakerPolicy?: Partial<BreakerPolicy>;
  /** How often shared overrides and breaker states are re-read. */
  pollMs?: number;
  /** Start following the fleet's overrides and breaker states, as a gateway does at boot. */
  followFleet?: boolean;
  prober: Pick<ProberOptions, 'intervalMs' | 'jitterMs' | 'refreshMs' | 'ca' | 'tokenQuotaShare'>;
}

export interface ProberStack {
  accounts: ConfiguredAccount[];
  engine: TokenEngine;
  overrides: AccountOverrides;
  breakers: AuthBreakers;
  recorder: HealthRecorder;
  prober: Prober;
  /** Every event the recorder emitted, oldest first. */
  events: HealthEvent[];
  connection?: RedisConnection;
  close(): Promise<void>;
}

export function proberStack(options: ProberStackOptions): ProberStack {
  const { accounts, connection } = options;
  const log = testLogger(options.name);
  const ids = accounts.map((account) => account.id);
  const shared = {
    log,
    ...(connection ? { redis: connection } : {}),
    ...(options.pollMs !== undefined ? { pollMs: options.pollMs } : {}),
  };
  const engine = new TokenEngine({
    accounts,
    log,
    ...(connection ? { redis: connection, sealer: TEST_SEALER } : {}),
    ...options.engine,
  });
  const overrides = new AccountOverrides({ ...shared, accounts: ids });
  const breakers = new AuthBreakers({
    accounts: ids,
    state: new VersionedState<BreakerState>({ namespace: 'breaker', ...shared }),
    trials: connection ? new RedisTrialLease(connection) : new MemoryTrialLease(),
    overrides,
    log,
    ...(options.breakerPolicy ? { policy: options.breakerPolicy } : {}),
  });
  if (options.followFleet) {
    overrides.start();
    breakers.start();
  }
  const recorder = new HealthRecorder({
    history: connection ? new RedisHistoryStore(connection) : new MemoryHistoryStore(),
    log,
  });
  const events: HealthEvent[] = [];
  recorder.on('event', (event) => events.push(event));
  const prober = new Prober({
    accounts,
    engine,
    breakers,
    recorder,
    log,
    ...(connection ? { redis: connection } : {}),
    ...options.prober,
  });
  return {
    accounts,
    engine,
    overrides,
    breakers,
    recorder,
    prober,
    events,
    ...(connection ? { connection } : {}),
    close: async () => {
      await prober.stop();
      engine.stop();
      breakers.stop();
      overrides.stop();
      await recorder.stop();
      await connection?.close();
    },
  };
}

/** A connected Redis connection for one stack of a fleet. */
export async function stackConnection(
  url: string,
  keyPrefix: string,
  name: string,
): Promise<RedisConnection> {
  const connection = new RedisConnection({ url, keyPrefix }, testLogger(name));
  await connection.connect();
  return connection;
}

/**
 * A suffix that puts `${prefix}${suffix}`'s probe slot (a hash of the id, src/probes/prober.ts)
 * between `fromMs` (default 50) and `withinMs` from now, for tests that wait for a scheduled probe.
 */
export function soonSuffix(prefix: string, intervalMs: number, withinMs: number, fromMs = 50): string {
  for (let n = 0; ; n += 1) {
    const suffix = `s${n}`;
    const now = Date.now();
    const wait = nextProbeAt(`${prefix}${suffix}`, now, intervalMs) - now;
    if (wait >= fromMs && wait <= withinMs) return suffix;
  }
}
