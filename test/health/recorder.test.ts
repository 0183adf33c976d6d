/**
 * @module test/health/recorder
 * The health recorder adds events up per account and minute in memory and writes the deltas on
 * flush: events of a minute that ended before the flush land in that minute, not the next one.
 */
import { describe, expect, it } from 'vitest';

import { MemoryHistoryStore, MINUTE_MS } from '../../src/health/history.js';
import { HealthRecorder } from '../../src/health/recorder.js';
import { memoryLogger } from '../support/log-capture.js';

describe('health recorder', () => {
  it('keeps each minute apart when an account records across a minute boundary before a flush', async () => {
    const history = new MemoryHistoryStore();
    let now = 10 * MINUTE_MS + 50_000;
    const recorder = new HealthRecorder({
      history,
      log: memoryLogger().log,
      flushMs: 3_600_000,
      now: () => now,
    });
    try {
      recorder.record({ account: 'a', source: 'api', ok: true, status: 200 });
      recorder.record({
        account: 'a',
        source: 'api',
        ok: false,
        status: 503,
        failureClass: 'downstream.server_error',
      });
      recorder.record({ account: 'b', source: 'api', ok: true, status: 200 });
      now += 20_000; // minute 11
      recorder.record({ account: 'a', source: 'api', ok: true, status: 200 });
      recorder.record({ account: 'a', source: 'token', ok: true, latencyMs: 120 });
      now += 60_000; // minute 12
      recorder.record({ account: 'a', source: 'api', ok: true, status: 200 });
      await recorder.flush();

      const a = await history.read('a', 10, 12);
      expect(a.map((bucket) => [bucket.minute, bucket.ok, bucket.failed])).toEqual([
        [10, { api: 1 }, { api: 1 }],
        [11, { api: 1, token: 1 }, {}],
        [12, { api: 1 }, {}],
      ]);
      expect(a[0]!.classes).toEqual({ 'downstream.server_error': 1 });
      const b = await history.read('b', 10, 12);
      expect(b.map((bucket) => [bucket.minute, bucket.ok])).toEqual([[10, { api: 1 }]]);

      // A second flush adds nothing that was already written.
      await recorder.flush();
      expect((await history.read('a', 10, 12)).map((bucket) => bucket.ok.api)).toEqual([1, 1, 1]);
    } finally {
      await recorder.stop();
    }
  });
});
