/**
 * @module test/auth/unit/refresh-schedule
 * The one timer behind every account's proactive refresh: each run comes once, no earlier than
 * its delay, in due order (first scheduled first among equals), and a cancelled one never.
 */
import { describe, expect, it, vi } from 'vitest';

import { RefreshSchedule } from '../../../src/auth/refresh-schedule.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('RefreshSchedule', () => {
  it('runs each entry once, in due order, no earlier than its delay', async () => {
    const schedule = new RefreshSchedule();
    const started = Date.now();
    const ran: [string, number][] = [];
    const at = (name: string) => ({ runScheduled: () => ran.push([name, Date.now() - started]) });
    schedule.add(60, at('c'));
    schedule.add(20, at('a'));
    schedule.add(40, at('b1'));
    schedule.add(40, at('b2'));
    schedule.add(-5, at('now'));
    await sleep(120);
    expect(ran.map(([name]) => name)).toEqual(['now', 'a', 'b1', 'b2', 'c']);
    const delays = Object.fromEntries(ran);
    expect(delays.a).toBeGreaterThanOrEqual(19);
    expect(delays.b1).toBeGreaterThanOrEqual(39);
    expect(delays.c).toBeGreaterThanOrEqual(59);
    expect(schedule.size).toBe(0);
  });

  it('never runs a cancelled entry, and the rest still run when the earliest is cancelled', async () => {
    const schedule = new RefreshSchedule();
    const ran: string[] = [];
    const first = schedule.add(10, { runScheduled: () => ran.push('first') });
    schedule.add(30, { runScheduled: () => ran.push('second') });
    const third = schedule.add(20, { runScheduled: () => ran.push('third') });
    schedule.cancel(first);
    schedule.cancel(third);
    schedule.cancel(third);
    expect(schedule.size).toBe(1);
    await sleep(60);
    expect(ran).toEqual(['second']);
  });

  it('an entry added earlier than the one waited for runs at its own time', async () => {
    const schedule = new RefreshSchedule();
    const ran: string[] = [];
    schedule.add(1_000, { runScheduled: () => ran.push('late') });
    schedule.add(10, { runScheduled: () => ran.push('early') });
    await sleep(50);
    expect(ran).toEqual(['early']);
    expect(schedule.size).toBe(1);
  });

  it('keeps the order over many entries added and cancelled in any order', () => {
    // A frozen clock: with a real one, adding 200 entries can take milliseconds on a loaded
    // machine, and an entry added later with a shorter delay is then rightly due later.
    vi.useFakeTimers();
    try {
      addAndCancelInAnyOrder();
    } finally {
      vi.useRealTimers();
    }
  });

  function addAndCancelInAnyOrder(): void {
    const schedule = new RefreshSchedule();
    const ran: number[] = [];
    const delays = Array.from({ length: 200 }, (_, index) => (index * 37) % 50);
    const entries = delays.map((delay, index) =>
      schedule.add(delay, { runScheduled: () => ran.push(index) }),
    );
    const cancelled = new Set<number>();
    for (let index = 0; index < entries.length; index += 3) {
      schedule.cancel(entries[index]!);
      cancelled.add(index);
    }
    vi.advanceTimersByTime(150);
    const expected = delays
      .map((delay, index) => ({ delay, index }))
      .filter(({ index }) => !cancelled.has(index))
      .sort((a, b) => a.delay - b.delay || a.index - b.index)
      .map(({ index }) => index);
    expect(ran).toEqual(expected);
  }

  it('waits out a delay longer than one node timer can (2^31 - 1 ms) instead of running early', () => {
    vi.useFakeTimers();
    try {
      const schedule = new RefreshSchedule();
      const ran: string[] = [];
      const DAY_MS = 24 * 3600 * 1000;
      schedule.add(30 * DAY_MS, { runScheduled: () => ran.push('month') });
      vi.advanceTimersByTime(25 * DAY_MS);
      expect(ran).toEqual([]);
      vi.advanceTimersByTime(5 * DAY_MS);
      expect(ran).toEqual(['month']);
    } finally {
      vi.useRealTimers();
    }
  });
});
