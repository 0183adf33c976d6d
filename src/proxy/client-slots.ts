/**
 * @module proxy/client-slots
 * Issue 12, point 3: the calls one client has in flight to one carrier origin, bounded. Every
 * account on an origin shares that origin's connection pool (src/upstream/transport.ts), so a
 * client whose uploads trickle in would otherwise hold every connection and make every other
 * client's call to that carrier wait. Counted per instance: the pool it protects is per instance.
 */
export class ClientSlots {
  readonly #inFlight = new Map<string, number>();

  constructor(readonly limit: number) {}

  /** Takes a slot and returns its release (idempotent), or null when the client holds `limit` already. */
  take(client: string, origin: string): (() => void) | null {
    const key = `${client}\n${origin}`;
    const held = this.#inFlight.get(key) ?? 0;
    if (held >= this.limit) return null;
    this.#inFlight.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(key) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(key);
      else this.#inFlight.set(key, left);
    };
  }

  /** Calls in flight for this client and origin (tests, metrics). */
  held(client: string, origin: string): number {
    return this.#inFlight.get(`${client}\n${origin}`) ?? 0;
  }
}
