/**
 * @module platform/redis
 * The gateway's Redis connections (commands, and a second connection for pub/sub) and their
 * health, for each form of `redis` in the configuration: one endpoint by URL, a primary found
 * through Sentinel, or a Redis Cluster (ioredis' own Sentinel and Cluster support). Commands
 * fail fast while Redis is away (no offline queue), so a request on the hot path never waits for
 * a reconnect; ioredis keeps reconnecting by itself (after a Sentinel failover, to the promoted
 * replica), and every transition is logged and visible in `available`.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';

import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

import type { Logger } from 'pino';

import type { RedisConfig } from '../../config/redis-schema.js';
import { coalesceWrites } from './write-coalescing.js';

export interface RedisConnectionOptions extends Partial<Pick<RedisConfig, 'url' | 'sentinel' | 'cluster'>> {
  keyPrefix: string;
  /** Per-command timeout; a command that takes longer counts as Redis being unavailable. */
  commandTimeoutMs?: number;
}

export type RedisTopology = 'single' | 'sentinel' | 'cluster';

/**
 * How long a write waits for a replica's acknowledgement under Sentinel (`WAIT 1 <ms>`). A
 * healthy replica answers in about a millisecond; the wait only runs out while no replica keeps
 * up, which is also when there is none to promote.
 */
const REPLICA_WAIT_MS = 500;
/** After a WAIT ran out, how long writes go on unconfirmed before a replica is asked again. */
const UNCONFIRMED_RETRY_MS = 5_000;

/**
 * KEYS: hashes; returns each one's fields and values (HGETALL), in order: many hashes read with
 * one command (ranking 10,000 accounts' health read 30,000 hashes one command each).
 */
const READ_HASHES = `
local hashes = {}
for i, key in ipairs(KEYS) do hashes[i] = redis.call('HGETALL', key) end
return hashes
`;

/** HGETALL's flat reply (field, value, field, value, ...) as pairs. */
function pairs(flat: string[]): [string, string][] {
  const out: [string, string][] = [];
  for (let index = 0; index + 1 < flat.length; index += 2) out.push([flat[index]!, flat[index + 1]!]);
  return out;
}

/** Every socket the connection opens (one per reconnection) coalesces its writes. */
function coalesceOnConnect(connection: Redis): void {
  connection.on('connect', () => {
    if (connection.stream) coalesceWrites(connection.stream as Socket);
  });
}

// Reconnect forever, backing off to 2 s: Redis coming back must not need a restart.
const reconnectDelay = (attempt: number) => Math.min(2_000, 50 * 2 ** Math.min(attempt, 6));

function clusterNodes(urls: string[]): { nodes: { host: string; port: number }[]; options: RedisOptions } {
  const first = new URL(urls[0]!);
  const options: RedisOptions = {};
  // The schema made every node share the first one's scheme and credentials.
  if (first.username !== '') options.username = decodeURIComponent(first.username);
  if (first.password !== '') options.password = decodeURIComponent(first.password);
  if (first.protocol === 'rediss:') options.tls = {};
  return {
    nodes: urls.map((url) => {
      const parsed = new URL(url);
      return { host: parsed.hostname.replace(/^\[|\]$/g, ''), port: Number(parsed.port || 6379) };
    }),
    options,
  };
}

function sentinelOptions(sentinel: NonNullable<RedisConfig['sentinel']>): RedisOptions {
  return {
    name: sentinel.name,
    sentinels: sentinel.nodes.map((node) => {
      const colon = node.lastIndexOf(':');
      return { host: node.slice(0, colon).replace(/^\[|\]$/g, ''), port: Number(node.slice(colon + 1)) };
    }),
    ...(sentinel.username !== undefined ? { username: sentinel.username } : {}),
    ...(sentinel.password !== undefined ? { password: sentinel.password } : {}),
    ...(sentinel.sentinelUsername !== undefined ? { sentinelUsername: sentinel.sentinelUsername } : {}),
    ...(sentinel.sentinelPassword !== undefined ? { sentinelPassword: sentinel.sentinelPassword } : {}),
    ...(sentinel.db !== undefined ? { db: sentinel.db } : {}),
    // Told by the Sentinels (+switch-master) rather than waiting for the old primary's socket to die.
    failoverDetector: true,
    // A demoted primary still answering (it came back, or was cut off) refuses writes: ask the
    // Sentinels again rather than keep talking to it.
    reconnectOnError: (error) => error.message.startsWith('READONLY'),
    sentinelRetryStrategy: reconnectDelay,
  };
}

export class RedisConnection extends EventEmitter {
  readonly client: Redis | Cluster;
  readonly subscriber: Redis | Cluster;
  /**
   * Put in front of every key and channel by the stores themselves, not through ioredis'
   * `keyPrefix` option (which leaves channels alone and, for a Cluster, belongs in the Cluster's
   * own options): the same names on every topology, hash tags placed after it.
   */
  readonly keyPrefix: string;
  readonly topology: RedisTopology;
  #available = false;
  /** While no replica confirms writes: until when they are not held up again (0: they are confirmed). */
  #unconfirmedUntil = 0;

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
      retryStrategy: reconnectDelay,
    };
    // The subscriber queues its SUBSCRIBE until connected; it holds no data path.
    const forSubscriber = { enableOfflineQueue: true, commandTimeout: undefined };
    if (options.cluster) {
      this.topology = 'cluster';
      const { nodes, options: access } = clusterNodes(options.cluster.nodes);
      const cluster = (queue: boolean, redisOptions: RedisOptions): ClusterOptions => ({
        lazyConnect: true,
        enableOfflineQueue: queue,
        clusterRetryStrategy: reconnectDelay,
        redisOptions: { ...redisOptions, ...access },
      });
      // Per node: timeouts and retries as for one Redis; connecting and queueing are the cluster's.
      const node: RedisOptions = {
        connectTimeout: common.connectTimeout!,
        commandTimeout: common.commandTimeout!,
        maxRetriesPerRequest: 0,
      };
      this.client = new Cluster(nodes, cluster(false, node));
      this.subscriber = new Cluster(nodes, cluster(true, { ...node, ...forSubscriber }));
    } else if (options.sentinel) {
      this.topology = 'sentinel';
      const sentinel = sentinelOptions(options.sentinel);
      this.client = new Redis({ ...common, ...sentinel });
      this.subscriber = new Redis({ ...common, ...sentinel, ...forSubscriber });
    } else if (options.url !== undefined) {
      this.topology = 'single';
      this.client = new Redis(options.url, common);
      this.subscriber = new Redis(options.url, { ...common, ...forSubscriber });
    } else {
      throw new Error('redis: one of url, sentinel or cluster is required');
    }
    // The number of keys is the first argument: a batch's size varies.
    this.client.defineCommand('readHashes', { lua: READ_HASHES });
    // Each connection gathers a turn's commands into one socket write (src/platform/write-coalescing.ts).
    if (this.client instanceof Cluster) this.client.on('+node', (node: Redis) => coalesceOnConnect(node));
    else coalesceOnConnect(this.client);
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
    if (available) this.log.info({ topology: this.topology }, 'redis available: shared token refresh active');
    else
      this.log.warn(
        { topology: this.topology },
        'redis unavailable: serving cached tokens; refresh limited to carriers without rotating refresh tokens',
      );
    this.emit(available ? 'available' : 'unavailable');
  }

  /**
   * Publishes and says how many subscribers received it in the whole deployment. On one Redis
   * (or a Sentinel primary) that is PUBLISH's answer; a Cluster node counts only its own
   * subscribers, so there it is the sum of every node's count for the channel.
   */
  async publish(channel: string, message: string): Promise<number> {
    const here = await this.client.publish(channel, message);
    if (!(this.client instanceof Cluster)) return here;
    const counts = await Promise.all(
      this.client.nodes('all').map(async (node) => {
        const reply = (await node.call('PUBSUB', 'NUMSUB', channel).catch(() => [channel, 0])) as [
          string,
          number,
        ];
        return Number(reply[1]);
      }),
    );
    return counts.reduce((sum, count) => sum + count, 0);
  }

  /**
   * Under Sentinel: waits until a replica holds every write this connection has made (WAIT), so
   * that a failover promotes a replica that has them. One Redis has no replica to wait for, and
   * a Cluster routes WAIT to no particular node; both resolve at once. When no replica answers in
   * time, that is logged once and the caller carries on; for the next few seconds writes are not
   * held up again (a primary without a replica would otherwise slow every one of them), then a
   * replica is asked again. See docs/deploy.md, "Sentinel".
   */
  async confirmReplicated(): Promise<void> {
    if (this.topology !== 'sentinel' || Date.now() < this.#unconfirmedUntil) return;
    const acknowledged = Number(await (this.client as Redis).call('WAIT', 1, REPLICA_WAIT_MS));
    if (acknowledged >= 1) {
      if (this.#unconfirmedUntil > 0) this.log.info('a redis replica confirms writes again');
      this.#unconfirmedUntil = 0;
      return;
    }
    if (this.#unconfirmedUntil === 0) {
      this.log.warn(
        { waitedMs: REPLICA_WAIT_MS },
        'no redis replica confirmed the last writes; a failover now could lose them',
      );
    }
    this.#unconfirmedUntil = Date.now() + UNCONFIRMED_RETRY_MS;
  }

  /**
   * The fields and values of each of `keys`, in order (an absent hash has none). On one Redis or
   * Sentinel one script reads them all; on a Cluster, where the keys may live in different slots,
   * one HGETALL each, sent together.
   */
  async readHashes(keys: readonly string[]): Promise<[string, string][][]> {
    if (keys.length === 0) return [];
    if (this.client instanceof Cluster) {
      const client = this.client;
      const hashes = await Promise.all(keys.map((key) => client.hgetall(key)));
      return hashes.map((hash) => Object.entries(hash));
    }
    const scripted = this.client as unknown as {
      readHashes(keyCount: number, ...keys: string[]): Promise<string[][]>;
    };
    return (await scripted.readHashes(keys.length, ...keys)).map(pairs);
  }

  /** Connects both clients; resolves even when Redis is down (the gateway starts and reconnects later). */
  async connect(): Promise<void> {
    await Promise.allSettled([this.client.connect(), this.subscriber.connect()]);
    // A Cluster announces `ready` on the next tick, after its connect() has resolved.
    if (this.client.status === 'ready') this.#setAvailable(true);
  }

  async close(): Promise<void> {
    this.client.disconnect();
    this.subscriber.disconnect();
    this.#setAvailable(false);
  }
}
