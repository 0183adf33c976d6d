/**
 * @module test/support/redis-server
 * A real redis-server from PATH on a free loopback port, for integration tests: started per
 * test file, killed to test failures, restarted on the same port to test recovery.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

import { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `redis-server` with these arguments; its output is dropped (tests read state over the protocol). */
export function spawnRedisServer(args: string[]): ChildProcess {
  return spawn('redis-server', args, { stdio: 'ignore' });
}

/** The arguments every test server shares: loopback only, nothing written to disk, quiet. */
export function baseServerArgs(port: number): string[] {
  return [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--save',
    '',
    '--appendonly',
    'no',
    '--loglevel',
    'warning',
  ];
}

/** Resolves once a server (or Sentinel) on `port` answers PING; fails after 10 s. */
export async function waitForRedis(port: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    // Refused connections are expected until the server listens.
    probe.on('error', () => {});
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return;
    } catch {
      probe.disconnect();
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${port}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** Sends `signal` and, for SIGKILL and SIGTERM, resolves once the process has exited. */
export async function signalProcess(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  if (signal !== 'SIGKILL' && signal !== 'SIGTERM') {
    child.kill(signal);
    return;
  }
  await new Promise<void>((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

export class TestRedis {
  #process: ChildProcess | null = null;
  #port: number;

  private constructor(port: number) {
    this.#port = port;
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(): Promise<TestRedis> {
    const redis = new TestRedis(await freePort());
    await redis.restart();
    return redis;
  }

  /**
   * For the enclosing describe block (or file): a redis-server started before its tests (beforeAll)
   * and killed after them (afterAll). Its port and url are known once the tests run.
   */
  static forSuite(): TestRedis {
    const redis = new TestRedis(0);
    beforeAll(async () => {
      redis.#port = await freePort();
      await redis.restart();
    });
    afterAll(() => redis.kill());
    return redis;
  }

  /** Starts (again) on the same port; resolves when it answers PING. */
  async restart(): Promise<void> {
    if (this.#process) throw new Error('redis-server already running');
    const child = spawnRedisServer(baseServerArgs(this.port));
    this.#process = child;
    child.once('exit', () => {
      if (this.#process === child) this.#process = null;
    });
    await waitForRedis(this.port);
  }

  /** SIGKILL: the way Redis disappears in an incident, with no goodbye to clients. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (!child) return;
    await signalProcess(child, 'SIGKILL');
    this.#process = null;
  }

  client(): Redis {
    const client = new Redis(this.url, { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    return client;
  }
}
