/**
 * @module lifecycle/shutdown
 * The graceful stop of the serving process, on SIGTERM (Kubernetes, Docker, systemd) or SIGINT:
 * 1. at once: `/readyz` answers 503 `draining`, every answer closes its connection, probes stop;
 * 2. for `shutdown.graceMs`: requests are still served, while the load balancer notices the 503
 *    (or the endpoint removal) and stops sending any;
 * 3. then the listener closes and every request and shipment in flight finishes: a label call
 *    that went out is answered and its outcome recorded, never cut;
 * 4. background work and connections stop, and the process exits 0.
 * At `shutdown.timeoutMs` after the signal it exits 1 whatever is left, logging what that was. A
 * second SIGTERM or SIGINT exits at once (128 + the signal's number), logging the same.
 */
import { constants } from 'node:os';

import type { Logger } from '../platform/log.js';
import type { ServerDrain } from './drain.js';

export interface ShutdownSettings {
  graceMs: number;
  timeoutMs: number;
}

/** What is stopped: the gateway, and in the demo its carrier simulators. */
export interface Stoppable {
  drain: ServerDrain;
  stopProbes(): Promise<void>;
  /** Everything else, once nothing is in flight. */
  close(): Promise<void>;
}

export interface ShutdownOptions extends ShutdownSettings {
  log: Logger;
  /** process.exit in the program; tests observe it. */
  exit: (code: number) => void;
  now?: () => number;
}

type Signal = 'SIGTERM' | 'SIGINT';

export class GracefulShutdown {
  #started: number | undefined;
  #exited = false;
  #timeout: NodeJS.Timeout | undefined;
  readonly #now: () => number;

  constructor(
    private readonly target: Stoppable,
    private readonly options: ShutdownOptions,
  ) {
    this.#now = options.now ?? Date.now;
  }

  /** SIGTERM and SIGINT: the first starts the stop, the next one exits at once. */
  install(emitter: Pick<NodeJS.Process, 'on'>): void {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) emitter.on(signal, () => this.signal(signal));
  }

  signal(signal: Signal): void {
    if (this.#started === undefined) {
      void this.#run(signal);
      return;
    }
    this.options.log.warn(
      { signal, elapsedMs: this.#now() - this.#started, inFlight: this.target.drain.inFlight() },
      'second signal during shutdown: exiting now',
    );
    this.#exit(128 + constants.signals[signal]);
  }

  async #run(signal: Signal): Promise<void> {
    const { log, graceMs, timeoutMs } = this.options;
    const started = (this.#started = this.#now());
    const drain = this.target.drain;
    drain.beginDraining();
    log.info(
      { signal, graceMs, timeoutMs },
      'shutting down: /readyz answers 503, serving through the grace period',
    );
    this.#timeout = setTimeout(() => {
      log.error(
        { elapsedMs: this.#now() - started, timeoutMs, inFlight: drain.inFlight() },
        'shutdown timed out: exiting with work still in flight',
      );
      this.#exit(1);
    }, timeoutMs);
    try {
      // Not awaited before the grace ends: a probe's carrier call must not delay the close.
      const probesStopped = this.target.stopProbes();
      await new Promise((resolve) => setTimeout(resolve, graceMs));
      drain.stopAccepting();
      const inFlight = drain.inFlight();
      log.info(
        { elapsedMs: this.#now() - started, inFlight: inFlight.length },
        'grace period over: listener closed, finishing the work in flight',
      );
      await drain.whenIdle();
      await probesStopped;
      await this.target.close();
      log.info({ elapsedMs: this.#now() - started }, 'stopped cleanly');
      this.#exit(0);
    } catch (error) {
      log.error({ err: { message: (error as Error).message } }, 'shutdown failed');
      this.#exit(1);
    }
  }

  #exit(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    clearTimeout(this.#timeout);
    this.options.exit(code);
  }
}
