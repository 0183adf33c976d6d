/**
 * @module proxy/client-slots
 * Issue 12, point 3: the calls one client has in flight to one carrier origin, bounded. Every
 * account on an origin shares that origin's connection pool (src/upstream/transport.ts), so a
 * client whose uploads trickle in would otherwise hold every connection and make every other
 * client's call to that carrier wait. A call over the limit waits, first come first served, up to
 * a set time for one of the client's own calls to end (a burst is smoothed, not refused), and is
 * refused after it. Counted per instance: the pool it protects is per instance.
 */
type Grant = (release: () => void) => void;

export class ClientSlots {
  readonly #inFlight = new Map<string, number>();
  readonly #waiting = new Map<string, Grant[]>();

  constructor(readonly limit: number) {}

  /** A release for a slot of `key`, idempotent: the slot goes to the next waiter, or back. */
  #releaser(key: string): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const queue = this.#waiting.get(key);
      const next = queue?.shift();
      if (queue !== undefined && queue.length === 0) this.#waiting.delete(key);
      if (next !== undefined) {
        next(this.#releaser(key));
        return;
      }
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, left);
    };
  }

  /** Takes a slot and returns its release, or null when the client holds `limit` already. */
  take(client: string, origin: string): (() => void) | null {
    const key = `${client}\n${origin}`;
    const held = this.#inFlight.get(key) ?? 0;
    if (held >= this.limit) return null;
    this.#inFlight.set(key, held + 1);
    return this.#releaser(key);
  }

  /** Takes a slot, waiting up to `waitMs` for one; null when none came in time. */
  acquire(
    client: string,
    origin: string,
    waitMs: number,
  ): Promise<(() => void) | null> | (() => void) | null {
    const now = this.take(client, origin);
    if (now !== null || waitMs <= 0) return now;
    const key = `${client}\n${origin}`;
    return new Promise((resolve) => {
      const queue = this.#waiting.get(key) ?? [];
      this.#waiting.set(key, queue);
      const grant: Grant = (release) => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        const at = queue.indexOf(grant);
        if (at !== -1) queue.splice(at, 1);
        if (queue.length === 0 && this.#waiting.get(key) === queue) this.#waiting.delete(key);
        resolve(null);
      }, waitMs);
      queue.push(grant);
    });
  }

  /** Calls in flight for this client and origin (tests, metrics). */
  held(client: string, origin: string): number {
    return this.#inFlight.get(`${client}\n${origin}`) ?? 0;
  }
}
