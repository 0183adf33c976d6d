/**
 * @module test/support/eventually
 * The one way tests wait for something asynchronous to become true: poll a check until it passes
 * or a deadline passes, then fail saying what was awaited, for how long, and how the last try
 * failed. Nothing is waited for by a fixed sleep.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export interface EventuallyOptions {
  /** How long to keep trying (default 5 s). */
  timeoutMs?: number;
  /** Pause between tries (default 10 ms). */
  intervalMs?: number;
  /** What is awaited, for the failure message; a function is read at the failure only. */
  what?: string | (() => string);
}

/**
 * Runs `check` until it passes: it returns without throwing, and anything but `false`. An
 * assertion (`expect(...)`) or a predicate both work. Resolves with what the passing try
 * returned; rejects after `timeoutMs` with the last assertion's message.
 */
export async function eventually<T>(
  check: () => T | Promise<T>,
  options: EventuallyOptions = {},
): Promise<Exclude<T, false>> {
  const { timeoutMs = 5_000, intervalMs = 10 } = options;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== false) return value as Exclude<T, false>;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() >= deadline) {
      const what = typeof options.what === 'function' ? options.what() : (options.what ?? 'condition');
      const reason =
        last instanceof Error ? `: ${last.message}` : last === undefined ? '' : `: ${String(last)}`;
      throw new Error(`${what} not met within ${timeoutMs} ms${reason}`, { cause: last });
    }
    await sleep(intervalMs);
  }
}
