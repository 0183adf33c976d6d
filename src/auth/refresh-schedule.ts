/**
 * @module auth/refresh-schedule
 * The proactive refreshes of many accounts on one timer. A timer per account cost a `Timeout`
 * and, since every account's delay differs, a node `TimersList` of its own: about 300 bytes an
 * account that stay for the life of the process (issue 11, 10,000 accounts). Here the waiting
 * refreshes sit in a binary min-heap by due time and one unref'd timer is set for the earliest.
 * Each entry runs once, no earlier than its delay, like the `setTimeout` it replaces.
 */

/** What a schedule runs: an object rather than a closure, so an entry keeps no context alive. */
export interface Scheduled {
  runScheduled(): void;
}

/** A run waiting in a schedule, for `cancel`. */
export interface ScheduledRun {
  readonly due: number;
}

interface Entry extends ScheduledRun {
  due: number;
  /** Adds order among equal due times: first scheduled, first run. */
  seq: number;
  target: Scheduled;
  /** Position in the heap; -1 once run or cancelled. */
  index: number;
}

/** The longest delay node's timers take (2^31 - 1 ms); a longer wait is a chain of these. */
const MAX_TIMER_MS = 2_147_483_647;

export class RefreshSchedule {
  readonly #heap: Entry[] = [];
  #timer: NodeJS.Timeout | undefined;
  /** When the timer fires (the earliest due time, or sooner when that is beyond a timer's reach). */
  #armedFor = Number.POSITIVE_INFINITY;
  #seq = 0;

  get size(): number {
    return this.#heap.length;
  }

  /** Runs `target` after `delayMs` (node's timer clock), unless cancelled first. */
  add(delayMs: number, target: Scheduled): ScheduledRun {
    const entry: Entry = {
      due: Date.now() + Math.max(0, delayMs),
      seq: this.#seq++,
      target,
      index: this.#heap.length,
    };
    this.#heap.push(entry);
    this.#up(entry.index);
    this.#arm();
    return entry;
  }

  /** Takes a run out before it runs; nothing once it ran or was cancelled. */
  cancel(run: ScheduledRun): void {
    this.#remove(run as Entry);
  }

  #remove(entry: Entry): void {
    const index = entry.index;
    if (index < 0) return;
    entry.index = -1;
    const last = this.#heap.pop()!;
    if (last !== entry) {
      this.#heap[index] = last;
      last.index = index;
      this.#down(index);
      this.#up(last.index);
    }
    if (this.#heap.length === 0) this.#disarm();
  }

  #arm(): void {
    const first = this.#heap[0];
    if (first === undefined || first.due >= this.#armedFor) return;
    this.#disarm();
    const now = Date.now();
    const delay = Math.min(MAX_TIMER_MS, Math.max(0, first.due - now));
    this.#armedFor = now + delay;
    this.#timer = setTimeout(() => this.#fire(), delay);
    this.#timer.unref();
  }

  #disarm(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
  }

  #fire(): void {
    // node's timer clock and Date.now() may disagree by a millisecond: what the timer was set
    // for is due when it fires.
    const now = Math.max(Date.now(), this.#armedFor);
    this.#timer = undefined;
    this.#armedFor = Number.POSITIVE_INFINITY;
    const due: Entry[] = [];
    while (this.#heap.length > 0 && this.#heap[0]!.due <= now) {
      const entry = this.#heap[0]!;
      this.#remove(entry);
      due.push(entry);
    }
    this.#arm();
    for (const entry of due) entry.target.runScheduled();
  }

  #before(a: Entry, b: Entry): boolean {
    return a.due < b.due || (a.due === b.due && a.seq < b.seq);
  }

  #swap(i: number, j: number): void {
    const heap = this.#heap;
    const a = heap[i]!;
    const b = heap[j]!;
    heap[i] = b;
    heap[j] = a;
    a.index = j;
    b.index = i;
  }

  #up(index: number): void {
    let child = index;
    while (child > 0) {
      const parent = (child - 1) >> 1;
      if (!this.#before(this.#heap[child]!, this.#heap[parent]!)) return;
      this.#swap(child, parent);
      child = parent;
    }
  }

  #down(index: number): void {
    const heap = this.#heap;
    let parent = index;
    for (;;) {
      const left = 2 * parent + 1;
      const right = left + 1;
      let first = parent;
      if (left < heap.length && this.#before(heap[left]!, heap[first]!)) first = left;
      if (right < heap.length && this.#before(heap[right]!, heap[first]!)) first = right;
      if (first === parent) return;
      this.#swap(parent, first);
      parent = first;
    }
  }
}
