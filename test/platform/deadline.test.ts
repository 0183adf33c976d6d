/**
 * @module test/platform/deadline
 * The time limit of an outgoing call: it aborts like `AbortSignal.timeout` (a `TimeoutError`),
 * and unlike it, the call stops its timer when it settles.
 */
import { describe, expect, it } from 'vitest';

import { deadline } from '../../src/platform/deadline.js';

const timeouts = () => process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;

describe('deadline', () => {
  it('aborts with a TimeoutError once its time is up', async () => {
    const limit = deadline(20);
    expect(limit.signal.aborted).toBe(false);
    await new Promise((resolve) => limit.signal.addEventListener('abort', resolve));
    expect(limit.signal.aborted).toBe(true);
    expect((limit.signal.reason as DOMException).name).toBe('TimeoutError');
  });

  it('released, it never aborts, and releasing twice is harmless', async () => {
    const limit = deadline(20);
    limit.release();
    limit.release();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(limit.signal.aborted).toBe(false);
  });

  it('does not keep the process alive on its own', () => {
    const before = timeouts();
    const limit = deadline(60_000);
    // Only timers that keep the event loop running are listed.
    expect(timeouts()).toBe(before);
    limit.release();
  });
});
