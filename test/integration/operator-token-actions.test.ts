/**
 * @module test/integration/operator-token-actions
 * The token actions an operator takes through the admin API, seen across two instances on one
 * real Redis: a purge makes every instance forget the token it holds in memory, and a forced
 * refresh calls the carrier even while the token is fresh (and while a cooldown is in force),
 * then hands the new token to the other instance.
 */
import { beforeAll, describe, expect, it } from 'vitest';

import type { TestInstance } from '../support/engine.js';
import { eventually } from '../support/eventually.js';
import { useUpsTokenFixture } from '../support/ups-token-fixture.js';

describe('operator token actions across instances', () => {
  const fixture = useUpsTokenFixture('operator-actions');
  let a: TestInstance;
  let b: TestInstance;

  beforeAll(async () => {
    const accounts = fixture.accounts(fixture.account('ups-ops'));
    a = await fixture.instance(accounts);
    b = await fixture.instance(accounts);
  });

  it('a purge on one instance empties the store and the memory of both', async () => {
    const first = await a.engine.manager('ups-ops').getToken();
    expect((await b.engine.manager('ups-ops').getToken()).accessToken).toBe(first.accessToken);
    expect(b.engine.manager('ups-ops').peek()).toBeDefined();

    await a.engine.purge('ups-ops');
    expect(await a.engine.store.read('ups-ops')).toBeNull();
    expect(a.engine.manager('ups-ops').peek()).toBeUndefined();
    await eventually(() => b.engine.manager('ups-ops').peek() === undefined);

    const next = await b.engine.manager('ups-ops').getToken();
    expect(next.accessToken).not.toBe(first.accessToken);
  });

  it('a forced refresh gets a new token while the old one is fresh, and the other instance adopts it', async () => {
    const before = await a.engine.manager('ups-ops').getToken();
    await b.engine.manager('ups-ops').getToken();
    const issued = fixture.sim.stats().tokensIssued;

    const forced = await a.engine.tokenManager('ups-ops')!.refreshNow();
    expect(forced.accessToken).not.toBe(before.accessToken);
    expect(forced.generation).toBeGreaterThan(before.generation);
    expect(fixture.sim.stats().tokensIssued).toBe(issued + 1);
    await eventually(() => b.engine.manager('ups-ops').peek()?.accessToken === forced.accessToken);
  });

  it('a forced refresh lifts a cooldown the fleet was keeping', async () => {
    await a.engine.store.updateState('ups-ops', {
      cooldown: { until: Date.now() + 60_000, code: 'ERR_TOKEN_INVALID_CLIENT', failures: 3 },
    });
    const forced = await b.engine.tokenManager('ups-ops')!.refreshNow();
    expect(forced.accessToken).toBeDefined();
    expect((await a.engine.store.readState('ups-ops')).cooldown).toBeUndefined();
  });
});
