/**
 * @module test/support/redis-sentinel
 * A real Sentinel deployment for integration tests: a primary and a replica (`redis-server
 * --replicaof`) and three Sentinels (`redis-server sentinel.conf --sentinel`, the same binary as
 * Debian's redis-sentinel) on free loopback ports, quorum 2, declaring the primary down after
 * one second. Tests kill the primary (SIGKILL) and wait for the promotion, or cut the replica off
 * so that it misses writes before it is promoted.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { Redis } from 'ioredis';

import { baseServerArgs, freePort, signalProcess, spawnRedisServer, waitForRedis } from './redis-server.js';

export const SENTINEL_MASTER_NAME = 'mymaster';
const DOWN_AFTER_MS = 1_000;

interface Member {
  port: number;
  process: ChildProcess;
}

async function poll<T>(what: string, withinMs: number, read: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function withClient<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on('error', () => {});
  try {
    return await use(client);
  } finally {
    client.disconnect();
  }
}

export class TestRedisSentinel {
  /** The data servers by port: the primary and the replica, whichever is which now. */
  readonly #servers = new Map<number, Member>();
  readonly #sentinels: Member[] = [];
  readonly #dir = mkdtempSync(join(tmpdir(), 'carrier-gateway-sentinel-'));

  private constructor() {}

  /** `host:port` of every Sentinel, as the gateway's `redis.sentinel.nodes` takes them. */
  get nodes(): string[] {
    return this.#sentinels.map((sentinel) => `127.0.0.1:${sentinel.port}`);
  }

  static async start(): Promise<TestRedisSentinel> {
    const deployment = new TestRedisSentinel();
    try {
      const primary = await deployment.#startServer([]);
      const replica = await deployment.#startServer(['--replicaof', '127.0.0.1', String(primary)]);
      await poll('the replica in sync', 10_000, () =>
        withClient(
          replica,
          async (client) => /master_link_status:up/.test(await client.info('replication')) || undefined,
        ),
      );
      for (let i = 0; i < 3; i += 1) await deployment.#startSentinel(primary);
      await deployment.#waitUntilWatched();
    } catch (error) {
      await deployment.stop();
      throw error;
    }
    return deployment;
  }

  #serverArgs(port: number): string[] {
    // Full syncs at once (Redis 7 waits 5 s by default for more replicas to join a diskless one);
    // a replica's full sync goes through an RDB file in --dir: a temporary one, not the cwd.
    return [
      ...baseServerArgs(port),
      '--repl-diskless-sync-delay',
      '0',
      '--dir',
      this.#dir,
      '--dbfilename',
      `dump-${port}.rdb`,
    ];
  }

  async #startServer(extra: string[]): Promise<number> {
    const port = await freePort();
    this.#servers.set(port, { port, process: spawnRedisServer([...this.#serverArgs(port), ...extra]) });
    await waitForRedis(port);
    return port;
  }

  async #startSentinel(primary: number): Promise<void> {
    const port = await freePort();
    // Sentinel rewrites its file (what it learns of replicas and peers), so each gets its own.
    const file = join(this.#dir, `sentinel-${port}.conf`);
    writeFileSync(
      file,
      [
        `port ${port}`,
        'bind 127.0.0.1',
        `dir ${this.#dir}`,
        `sentinel monitor ${SENTINEL_MASTER_NAME} 127.0.0.1 ${primary} 2`,
        `sentinel down-after-milliseconds ${SENTINEL_MASTER_NAME} ${DOWN_AFTER_MS}`,
        `sentinel failover-timeout ${SENTINEL_MASTER_NAME} 5000`,
        `sentinel parallel-syncs ${SENTINEL_MASTER_NAME} 1`,
        '',
      ].join('\n'),
    );
    this.#sentinels.push({ port, process: spawnRedisServer([file, '--sentinel', '--loglevel', 'warning']) });
    await waitForRedis(port);
  }

  /** Every Sentinel knows the replica and the two other Sentinels: a failover can be agreed on. */
  async #waitUntilWatched(): Promise<void> {
    await Promise.all(
      this.#sentinels.map((sentinel) =>
        poll('sentinels discovering each other and the replica', 20_000, () =>
          withClient(sentinel.port, async (client) => {
            const replicas = (await client.call('SENTINEL', 'REPLICAS', SENTINEL_MASTER_NAME)) as unknown[];
            const peers = (await client.call('SENTINEL', 'SENTINELS', SENTINEL_MASTER_NAME)) as unknown[];
            return replicas.length >= 1 && peers.length >= 2 ? true : undefined;
          }),
        ),
      ),
    );
  }

  /** The primary's port as the Sentinels report it now. */
  async primaryPort(): Promise<number> {
    return withClient(this.#sentinels[0]!.port, async (client) => {
      const [, port] = (await client.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', SENTINEL_MASTER_NAME)) as [
        string,
        string,
      ];
      return Number(port);
    });
  }

  /** The data server that is not the primary. */
  async replicaPort(): Promise<number> {
    const primary = await this.primaryPort();
    return [...this.#servers.keys()].find((port) => port !== primary)!;
  }

  /** A plain client on one data server (the primary unless told otherwise), for assertions. */
  async client(port?: number): Promise<Redis> {
    const client = new Redis(port ?? (await this.primaryPort()), '127.0.0.1', { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    return client;
  }

  /** SIGKILL the primary: it disappears without a goodbye, as in an incident. Returns its port. */
  async killPrimary(): Promise<number> {
    const port = await this.primaryPort();
    await signalProcess(this.#servers.get(port)!.process, 'SIGKILL');
    this.#servers.delete(port);
    return port;
  }

  /**
   * Starts a killed server again on its port, empty and with no role of its own: the Sentinels
   * turn it into a replica of whichever server is the primary now (a failed node coming back).
   */
  async restartServer(port: number): Promise<void> {
    if (this.#servers.has(port)) throw new Error(`redis-server on ${port} is still running`);
    this.#servers.set(port, { port, process: spawnRedisServer(this.#serverArgs(port)) });
    await waitForRedis(port);
  }

  /**
   * Cuts the replica off: it is stopped (SIGSTOP) and the primary drops its replication link, so
   * nothing the primary writes from now on reaches it, not even its socket buffer (a stopped
   * process alone would still find the writes buffered when continued). `resumeServer` undoes it.
   */
  async cutOffReplica(): Promise<number> {
    const port = await this.replicaPort();
    await signalProcess(this.#servers.get(port)!.process, 'SIGSTOP');
    await withClient(await this.primaryPort(), (client) => client.call('CLIENT', 'KILL', 'TYPE', 'replica'));
    return port;
  }

  async resumeServer(port: number): Promise<void> {
    await signalProcess(this.#servers.get(port)!.process, 'SIGCONT');
  }

  /** Resolves with the new primary's port once every Sentinel reports one other than `old` and it accepts writes. */
  async waitForPromotion(old: number, withinMs = 30_000): Promise<number> {
    const promoted = await poll('failover to the replica', withinMs, async () => {
      const ports = await Promise.all(
        this.#sentinels.map((sentinel) =>
          withClient(sentinel.port, async (client) => {
            const [, port] = (await client.call(
              'SENTINEL',
              'GET-MASTER-ADDR-BY-NAME',
              SENTINEL_MASTER_NAME,
            )) as [string, string];
            return Number(port);
          }),
        ),
      );
      return ports.every((port) => port !== old && port === ports[0]) ? ports[0] : undefined;
    });
    await poll('the promoted replica taking writes', withinMs, () =>
      withClient(
        promoted,
        async (client) => ((await client.call('ROLE')) as [string])[0] === 'master' || undefined,
      ),
    );
    return promoted;
  }

  async stop(): Promise<void> {
    for (const member of [...this.#sentinels, ...this.#servers.values()]) {
      // A stopped process does not act on SIGKILL's exit until it is continued.
      await signalProcess(member.process, 'SIGCONT');
      await signalProcess(member.process, 'SIGKILL');
    }
    rmSync(this.#dir, { recursive: true, force: true });
  }
}
