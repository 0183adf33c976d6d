/**
 * @module test/auth/manager/fleet-lock
 * The fleet-lock helper (src/auth/fleet-lock.ts) on its own, over a real Redis: two "instances"
 * are two connections with a FleetLock each, and the "carrier call" is the work done while the
 * lock is held, counted. A waiter adopts the holder's token with no carrier call (at its poll,
 * at once when a token is announced, or from the re-read once it holds the lock); a holder whose
 * lock expired mid-call cannot overwrite its successor's token; the fence is above every
 * generation known; the fleet's state is checked before waiting and again under the lock, and a
 * refusal takes no generation; a code exchange (no adoption) always gets the lock.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { FleetLock, type FleetLockOptions, type FleetLockUse } from '../../../src/auth/fleet-lock.js';
import { RedisRefreshLock, type RefreshLock } from '../../../src/auth/refresh-lock.js';
import { RedisTokenStore } from '../../../src/auth/redis-token-store.js';
import type { StoredToken } from '../../../src/auth/token-store.js';
import { isGatewayError } from '../../../src/core/errors.js';
import { RedisConnection } from '../../../src/platform/redis.js';
import { TEST_SEALER } from '../../support/engine.js';
import { registerSecrets, testLogger } from '../../support/log-capture.js';
import { TestRedis } from '../../support/redis-server.js';
import { eventually } from '../../support/eventually.js';

const ACCOUNT = 'fleet-lock-acct';

interface Instance {
  store: RedisTokenStore;
  /**
   * The real Redis lock, with its tryAcquire calls counted (to know a waiter is waiting) and a
   * hook run before each (to make something happen just before the lock is asked for).
   */
  lock: RefreshLock & { attempts: number; beforeAcquire?: () => Promise<void> };
  fleetLock(options?: Partial<FleetLockOptions>): FleetLock;
}

function tokenOf(generation: number, name: string): StoredToken {
  const now = Date.now();
  const accessToken = `fleet-lock-${name}-${generation}-0123456789`;
  registerSecrets(accessToken);
  return { accessToken, tokenType: 'Bearer', obtainedAt: now, expiresAt: now + 600_000, generation };
}

/** A latch the holder's work waits on, so the test decides when the "carrier" answers. */
function gate(): { open: () => void; opened: Promise<void> } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe('fleet lock', () => {
  let redis: TestRedis;
  const connections: RedisConnection[] = [];
  let prefix = 0;

  beforeAll(async () => {
    redis = await TestRedis.start();
  });

  afterEach(async () => {
    await Promise.all(connections.splice(0).map((connection) => connection.close()));
  });

  afterAll(async () => {
    await redis?.kill();
  });

  /** Instances of one fleet share a key prefix; each test gets its own. */
  async function fleet(count: number, lockTtlMs = 15_000): Promise<Instance[]> {
    prefix += 1;
    const instances: Instance[] = [];
    for (let index = 0; index < count; index += 1) {
      const connection = new RedisConnection({ url: redis.url, keyPrefix: `fl${prefix}:` }, testLogger());
      await connection.connect();
      connections.push(connection);
      const store = new RedisTokenStore(connection, TEST_SEALER);
      const real = new RedisRefreshLock(connection, { ttlMs: lockTtlMs, autoExtend: false });
      const lock: Instance['lock'] = {
        attempts: 0,
        async tryAcquire(account: string) {
          lock.attempts += 1;
          await lock.beforeAcquire?.();
          return real.tryAcquire(account);
        },
      };
      instances.push({
        store,
        lock,
        fleetLock: (options = {}) =>
          new FleetLock(ACCOUNT, {
            store,
            lock,
            now: Date.now,
            random: () => 0.5,
            sharedStoreAvailable: () => connection.available,
            pollMs: 20,
            ...options,
          }),
      });
    }
    return instances;
  }

  /** A refresh's use of the lock: adopt a stored token newer than `trigger`, else "call the carrier". */
  function refreshUse(
    trigger: number,
    work: (held: { stored: StoredToken | null; generation: number }) => Promise<StoredToken>,
  ): FleetLockUse<{ token: StoredToken; adopted: boolean }> & { carrierCalls: number } {
    const use = {
      carrierCalls: 0,
      adopt: {
        usable: (stored: StoredToken) => stored.generation > trigger && stored.expiresAt > Date.now(),
        take: (stored: StoredToken) => ({ token: stored, adopted: true }),
      },
      knownGeneration: () => trigger,
      whileHeld: async (held: { stored: StoredToken | null; generation: number }) => {
        use.carrierCalls += 1;
        return { token: await work(held), adopted: false };
      },
    };
    return use;
  }

  /**
   * A holder that has written its token but not yet released the lock (its announcement and
   * release still to come): whatever a waiter gets meanwhile, it got from the store.
   */
  /** Takes the lock (so nobody holds it) and reads the generation counter under it. */
  async function lockGeneration(instance: Instance): Promise<number> {
    const held = await instance
      .fleetLock()
      .use({ knownGeneration: () => 0, whileHeld: async (lease) => lease });
    return held.generation;
  }

  async function holderThatKeepsTheLock(instance: Instance) {
    const carrier = gate();
    const release = gate();
    let written: StoredToken | undefined;
    const use = refreshUse(0, async ({ generation }) => {
      await carrier.opened;
      const token = tokenOf(generation, 'holder');
      // Known before the write: a waiter may adopt it before this write's own reply is read.
      written = token;
      expect(await instance.store.write(ACCOUNT, token)).toBe('written');
      await release.opened;
      return token;
    });
    const done = instance.fleetLock().use(use);
    await eventually(() => use.carrierCalls === 1);
    return { use, done, answer: carrier.open, release: release.open, written: () => written };
  }

  it("a waiter adopts the holder's token without calling the carrier", async () => {
    const [a, b] = await fleet(2);
    const holder = await holderThatKeepsTheLock(a!);
    const waiterUse = refreshUse(0, async () => {
      throw new Error('the waiter must not call the carrier');
    });
    const waiter = b!.fleetLock().use(waiterUse);
    // The waiter found the lock taken and is polling.
    await eventually(() => b!.lock.attempts >= 2);
    holder.answer();

    const waited = await waiter;
    expect(waited.adopted).toBe(true);
    expect(waited.token.accessToken).toBe(holder.written()?.accessToken);
    expect(waiterUse.carrierCalls).toBe(0);
    holder.release();
    expect((await holder.done).adopted).toBe(false);
    expect(holder.use.carrierCalls).toBe(1);
  });

  it('an announced token wakes a waiter before its next poll', async () => {
    const [a, b] = await fleet(2);
    const holder = await holderThatKeepsTheLock(a!);
    // With random() = 0.5 a pause lasts exactly one poll: 4 s.
    const waiting = b!.fleetLock({ pollMs: 4_000 });
    const waiter = waiting.use(refreshUse(0, async () => Promise.reject(new Error('no carrier call'))));
    await eventually(() => b!.lock.attempts >= 1);
    await new Promise((resolve) => setTimeout(resolve, 50));
    holder.answer();
    await eventually(() => holder.written() !== undefined);
    const wokenAt = Date.now();
    // What the token engine does on each token-events message (TokenManager.onRemoteUpdate);
    // repeated so that a waiter slow to start its pause is woken too.
    waiting.wake();
    const waking = setInterval(() => waiting.wake(), 100);
    const waited = await waiter.finally(() => clearInterval(waking));
    expect(waited.token.accessToken).toBe(holder.written()?.accessToken);
    expect(Date.now() - wokenAt).toBeLessThan(2_000);
    holder.release();
    await holder.done;
  });

  it('a token written just before the lock was free is adopted from the re-read under the lock', async () => {
    const [a, b] = await fleet(2);
    // Between the waiter's look at the store and its lock request, another holder wrote its
    // token and released: the lock is free, and only the re-read under it can see the token.
    let written: StoredToken | undefined;
    b!.lock.beforeAcquire = async () => {
      b!.lock.beforeAcquire = undefined;
      written = tokenOf(await a!.store.nextGeneration(ACCOUNT, 0), 'just-before');
      expect(await a!.store.write(ACCOUNT, written)).toBe('written');
    };
    const use = refreshUse(0, async ({ generation }) => tokenOf(generation, 'needless'));
    const outcome = await b!.fleetLock().use(use);
    expect(b!.lock.attempts).toBe(1);
    expect(outcome).toEqual({ token: written, adopted: true });
    expect(use.carrierCalls).toBe(0);
  });

  it('a holder whose lock expired mid-call cannot overwrite the newer generation', async () => {
    const [a, b] = await fleet(2, 300);
    const carrier = gate();
    let lateWrite: string | undefined;
    const slowUse = refreshUse(0, async ({ generation }) => {
      await carrier.opened;
      const token = tokenOf(generation, 'late');
      lateWrite = await a!.store.write(ACCOUNT, token);
      return token;
    });
    const slow = a!.fleetLock().use(slowUse);
    await eventually(() => slowUse.carrierCalls === 1);

    // The lock expires (300 ms, not extended); the second instance takes it and refreshes.
    const fastUse = refreshUse(0, async ({ generation }) => {
      const token = tokenOf(generation, 'newer');
      expect(await b!.store.write(ACCOUNT, token)).toBe('written');
      return token;
    });
    const fast = await b!.fleetLock({ waitMs: 5_000 }).use(fastUse);
    expect(fastUse.carrierCalls).toBe(1);

    carrier.open();
    const late = await slow;
    expect(late.token.generation).toBeLessThan(fast.token.generation);
    expect(lateWrite).toBe('stale');
    const stored = await a!.store.read(ACCOUNT);
    expect(stored?.accessToken).toBe(fast.token.accessToken);
    expect(stored?.generation).toBe(fast.token.generation);
  });

  it('takes the fence above the generations this process and the store know', async () => {
    const [a] = await fleet(1);
    // As after Redis lost its data: the store's counter restarts, this process still holds 7.
    const high = await a!
      .fleetLock()
      .use(refreshUse(7, async ({ generation }) => tokenOf(generation, 'above')));
    expect(high.token.generation).toBeGreaterThan(7);
    await a!.store.write(ACCOUNT, high.token);

    // The store's generation counts too when this process knows less.
    const next = await a!.fleetLock().use({
      knownGeneration: () => 0,
      whileHeld: async ({ stored, generation }) => ({ stored, generation }),
    });
    expect(next.stored?.generation).toBe(high.token.generation);
    expect(next.generation).toBeGreaterThan(high.token.generation);
  });

  it('a precheck that refuses sends nothing and takes no generation', async () => {
    const [a] = await fleet(1);
    const refused = refreshUse(0, async ({ generation }) => tokenOf(generation, 'never'));
    const outcome = await a!
      .fleetLock()
      .use({
        ...refused,
        precheck: async () => {
          throw new Error('cooling down');
        },
      })
      .catch((error: unknown) => error);
    expect((outcome as Error).message).toBe('cooling down');
    expect(refused.carrierCalls).toBe(0);
    // The lock was not left behind, and the counter did not move.
    expect(await lockGeneration(a!)).toBe(1);
  });

  it("checks again once the lock is held: a failed holder's cooldown stops its waiter", async () => {
    const [a, b] = await fleet(2);
    const carrier = gate();
    let coolingDown = false;
    const failingUse = refreshUse(0, async () => {
      await carrier.opened;
      coolingDown = true;
      throw new Error('carrier refused');
    });
    const failing = a!
      .fleetLock()
      .use(failingUse)
      .catch((error: unknown) => error);
    await eventually(() => failingUse.carrierCalls === 1);

    const waiterUse = refreshUse(0, async ({ generation }) => tokenOf(generation, 'never'));
    const waiter = b!
      .fleetLock()
      .use({
        ...waiterUse,
        precheck: async () => {
          if (coolingDown) throw new Error('cooling down');
        },
      })
      .catch((error: unknown) => error);
    await eventually(() => b!.lock.attempts >= 2);
    carrier.open();

    expect(((await failing) as Error).message).toBe('carrier refused');
    expect(((await waiter) as Error).message).toBe('cooling down');
    expect(waiterUse.carrierCalls).toBe(0);
    // Both released the lock.
    expect(await lockGeneration(a!)).toBe(2);
  });

  it('gives up after its wait with ERR_LOCK_TIMEOUT, having done nothing', async () => {
    const [a, b] = await fleet(2);
    const carrier = gate();
    const holderUse = refreshUse(0, async ({ generation }) => {
      await carrier.opened;
      return tokenOf(generation, 'slow');
    });
    const holder = a!.fleetLock().use(holderUse);
    await eventually(() => holderUse.carrierCalls === 1);

    const waiterUse = refreshUse(0, async ({ generation }) => tokenOf(generation, 'never'));
    const error = await b!
      .fleetLock({ waitMs: 200 })
      .use({ ...waiterUse, timeoutNote: '; the code was not sent' })
      .catch((failure: unknown) => failure);
    expect(isGatewayError(error) && error.code).toBe('ERR_LOCK_TIMEOUT');
    expect(isGatewayError(error) && error.detail).toBe(
      'waited 200 ms for the refresh lock; the code was not sent',
    );
    expect(waiterUse.carrierCalls).toBe(0);
    carrier.open();
    await holder;
  });

  it('without adoption (a code exchange) the lock is taken even over a usable stored token', async () => {
    const [a] = await fleet(1);
    const usable = tokenOf(1, 'usable');
    await a!.store.nextGeneration(ACCOUNT, 0);
    expect(await a!.store.write(ACCOUNT, usable)).toBe('written');
    const held = await a!.fleetLock().use({ knownGeneration: () => 0, whileHeld: async (state) => state });
    expect(held.stored?.accessToken).toBe(usable.accessToken);
    expect(held.generation).toBeGreaterThan(usable.generation);
  });
});
