/**
 * @module platform/deadline
 * A time limit for one outgoing call, released as soon as the call settles.
 *
 * `AbortSignal.timeout(ms)` keeps its timer until it fires or until a full garbage collection
 * finds the signal unreachable (Node clears it from a FinalizationRegistry). Until then the timer
 * holds the signal through a `WeakRef`, and V8's young-generation collector treats weak
 * references as strong: the signal, and everything still attached to it, survives every
 * scavenge and is promoted to the old generation, whatever the call's own lifetime. At 10,000
 * accounts' first calls that was the larger part of what each call left in the old generation
 * (docs/benchmarks.md run 22). A deadline cleared when the call settles lets the call's objects
 * die young.
 */

export interface Deadline {
  readonly signal: AbortSignal;
  /** Stops the timer; the signal stays as it is (aborted or not). Safe to call more than once. */
  release(): void;
}

/** A signal that aborts with a `TimeoutError` after `ms`, as `AbortSignal.timeout` does. */
export function deadline(ms: number): Deadline {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'));
  }, ms);
  // Like AbortSignal.timeout's: a deadline alone never keeps the process running.
  timer.unref();
  return { signal: controller.signal, release: () => clearTimeout(timer) };
}
