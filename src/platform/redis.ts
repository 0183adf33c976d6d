/**
 * @module platform/redis
 * The gateway's Redis connections (commands, and a second connection for pub/sub) and their
 * health. Commands fail fast while Redis is away (no offline queue), so a request on the hot
 * path never waits for a reconnect; ioredis keeps reconnecting by itself, and every transition
 * is logged and visible in `available`.
 */
import { EventEmitter } from 'node:events';

import { Redis, type RedisOptions } from 'ioredis';
import type { Logger } from 'pino';

export interface RedisConnectionOptions {
  url: string;
  keyPrefix: string;
  /** Per-command timeout; a command that takes longer counts as Redis being unavailable. */
  commandTimeoutMs?: number;
}

export class RedisConnection extends EventEmitter {
  readonly client: Redis;
  readonly subscriber: Redis;
  readonly keyPrefix: string;
  #available = false;

  constructor(
    options: RedisConnectionOptions,
    private readonly log: Logger,
  ) {
    super();
    this.keyPrefix = options.keyPrefix;
    const common: RedisOptions = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      connectTimeout: 2_000,
      commandTimeout: options.commandTimeoutMs ?? 1_500,
      // Reconnect forever, backing off to 2 s: Redis coming back must not need a restart.
      retryStrategy: (attempt) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6)),
    };
    this.client = new Redis(options.url, common);
    // The subscriber queues its SUBSCRIBE until connected; it holds no data path.
    this.subscriber = new Redis(options.url, {
      ...common,
      enableOfflineQueue: true,
      commandTimeout: undefined,
    });
    this.client.on('ready', () => this.#setAvailable(true));
    this.client.on('close', () => this.#setAvailable(false));
    this.client.on('end', () => this.#setAvailable(false));
    // Without a listener ioredis prints unhandled error events; the state change is what matters.
    this.client.on('error', (error: Error) =>
      this.log.debug({ err: { message: error.message } }, 'redis error'),
    );
    this.subscriber.on('error', (error: Error) =>
      this.log.debug({ err: { message: error.message } }, 'redis subscriber error'),
    );
  }

  get available(): boolean {
    return this.#available;
  }

  #setAvailable(available: boolean): void {
    if (available === this.#available) return;
    this.#available = available;
    if (available) this.log.info('redis available: shared token refresh active');
    else
      this.log.warn(
        'redis unavailable: serving cached tokens; refresh limited to carriers without rotating refresh tokens',
      );
    this.emit(available ? 'available' : 'unavailable');
  }

  /** Connects both clients; resolves even when Redis is down (the gateway starts and reconnects later). */
  async connect(): Promise<void> {
    await Promise.allSettled([this.client.connect(), this.subscriber.connect()]);
  }

  async close(): Promise<void> {
    this.client.disconnect();
    this.subscriber.disconnect();
    this.#setAvailable(false);
  }
}
