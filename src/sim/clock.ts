/**
 * @module sim/clock
 * A hand-driven clock for the simulators' `clock` option, so expiry tests move time instead of sleeping.
 */

export interface ManualClock {
  /** Current epoch ms. */
  (): number;
  advance(ms: number): void;
  set(epochMs: number): void;
}

/**
 * @example
 * const clock = manualClock();
 * const ups = await startUpsSimulator({ clock, faults: { tokenLifetimeSeconds: 60 } });
 * clock.advance(60_000); // every token issued before is now expired
 */
export function manualClock(startMs: number = Date.now()): ManualClock {
  let now = startMs;
  return Object.assign(() => now, {
    advance(ms: number) {
      now += ms;
    },
    set(epochMs: number) {
      now = epochMs;
    },
  });
}
