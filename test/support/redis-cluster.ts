/**
 * @module test/support/redis-cluster
 * A real three-master Redis Cluster for integration tests: three `redis-server --cluster-enabled
 * yes` processes on free loopback ports, each in its own temporary directory, joined by
 * `redis-cli --cluster create` with no replicas, and ready once every node reports the cluster ok.
 */
import { execFile, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { Cluster, Redis } from 'ioredis';

import { baseServerArgs, freePort, signalProcess, spawnRedisServer, waitForRedis } from './redis-server.js';

const run = promisify(execFile);

interface ClusterNode {
  port: number;
  dir: string;
  process: ChildProcess;
}

export class TestRedisCluster {
  private constructor(private readonly members: ClusterNode[]) {}

  /** `redis://127.0.0.1:<port>` of every node, as the gateway's `redis.cluster.nodes` takes them. */
  get nodes(): string[] {
    return this.members.map((node) => `redis://127.0.0.1:${node.port}`);
  }

  static async start(masters = 3): Promise<TestRedisCluster> {
    const members: ClusterNode[] = [];
    for (let i = 0; i < masters; i += 1) {
      const port = await freePort();
      // The cluster bus needs a port of its own; the default (port + 10000) may be taken or out of range.
      const busPort = await freePort();
      const dir = mkdtempSync(join(tmpdir(), 'carrier-gateway-cluster-'));
      const child = spawnRedisServer([
        ...baseServerArgs(port),
        '--cluster-enabled',
        'yes',
        '--cluster-port',
        String(busPort),
        '--cluster-config-file',
        join(dir, 'nodes.conf'),
        '--cluster-node-timeout',
        '2000',
        '--dir',
        dir,
      ]);
      members.push({ port, dir, process: child });
    }
    const cluster = new TestRedisCluster(members);
    try {
      await Promise.all(members.map((node) => waitForRedis(node.port)));
      await run('redis-cli', [
        '--cluster',
        'create',
        ...members.map((node) => `127.0.0.1:${node.port}`),
        '--cluster-replicas',
        '0',
        '--cluster-yes',
      ]);
      await cluster.#waitUntilOk();
    } catch (error) {
      await cluster.stop();
      throw error;
    }
    return cluster;
  }

  async #waitUntilOk(): Promise<void> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const states = await Promise.all(
        this.members.map(async (node) => {
          const client = new Redis(node.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
          client.on('error', () => {});
          try {
            return /cluster_state:ok/.test(await client.cluster('INFO'));
          } finally {
            client.disconnect();
          }
        }),
      );
      if (states.every(Boolean)) return;
      if (Date.now() > deadline) throw new Error('redis cluster did not reach cluster_state:ok');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  /** A cluster client for assertions (reads what the gateway wrote). */
  client(): Cluster {
    const client = new Cluster(
      this.members.map((node) => ({ host: '127.0.0.1', port: node.port })),
      { redisOptions: { maxRetriesPerRequest: 1 } },
    );
    client.on('error', () => {});
    return client;
  }

  /** Which node (by port) holds a key: tests that check keys are spread or kept together. */
  async portOf(key: string): Promise<number> {
    const client = new Redis(this.members[0]!.port, '127.0.0.1', { maxRetriesPerRequest: 1 });
    client.on('error', () => {});
    try {
      const slot = Number(await client.cluster('KEYSLOT', key));
      const ranges = await client.cluster('SLOTS');
      const range = ranges.find(([from, to]) => slot >= from && slot <= to);
      if (!range) throw new Error(`no node serves slot ${slot}`);
      return range[2]![1];
    } finally {
      client.disconnect();
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((node) => signalProcess(node.process, 'SIGKILL')));
    for (const node of this.members) rmSync(node.dir, { recursive: true, force: true });
  }
}
