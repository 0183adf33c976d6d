/**
 * @module test/support/redis-topology
 * One interface over the Redis deployments tests run against (one redis-server, a three-master
 * Cluster, a primary with a replica under three Sentinels), so a test written once runs on each:
 * `describe.each(TOPOLOGIES)` with `startTopology(name)`. It gives the gateway's `redis`
 * configuration block and RedisConnection options for that deployment.
 */
import type { Cluster, Redis } from 'ioredis';

import type { RedisConnectionOptions, RedisTopology } from '../../src/platform/redis.js';
import { TestRedisCluster } from './redis-cluster.js';
import { SENTINEL_MASTER_NAME, TestRedisSentinel } from './redis-sentinel.js';
import { TestRedis } from './redis-server.js';

/** The topologies the distributed-engine tests are parameterised over (Sentinel has its own failover tests). */
export const TOPOLOGIES = ['single', 'cluster'] as const satisfies readonly RedisTopology[];

type Endpoint = Omit<RedisConnectionOptions, 'keyPrefix' | 'commandTimeoutMs'>;

export interface TestTopology {
  readonly name: RedisTopology;
  /** The gateway configuration's `redis` block (add `keyPrefix` as needed). */
  readonly endpoint: Endpoint;
  /** `redis: {...}` as one YAML line (JSON is YAML). */
  yaml(keyPrefix?: string): string;
  /** Options for an in-process RedisConnection. */
  connection(keyPrefix: string): RedisConnectionOptions;
  /** A plain client for assertions on what the gateway wrote. */
  client(): Promise<Redis | Cluster>;
  stop(): Promise<void>;
}

function topology(
  name: RedisTopology,
  endpoint: Endpoint,
  client: () => Promise<Redis | Cluster>,
  stop: () => Promise<void>,
): TestTopology {
  return {
    name,
    endpoint,
    yaml: (keyPrefix) => `redis: ${JSON.stringify({ ...endpoint, ...(keyPrefix ? { keyPrefix } : {}) })}`,
    connection: (keyPrefix) => ({ ...endpoint, keyPrefix }),
    client,
    stop,
  };
}

export async function startTopology(name: RedisTopology): Promise<TestTopology> {
  if (name === 'cluster') {
    const cluster = await TestRedisCluster.start();
    return topology(
      name,
      { cluster: { nodes: cluster.nodes } },
      async () => cluster.client(),
      () => cluster.stop(),
    );
  }
  if (name === 'sentinel') {
    const sentinel = await TestRedisSentinel.start();
    return topology(
      name,
      { sentinel: { nodes: sentinel.nodes, name: SENTINEL_MASTER_NAME } },
      () => sentinel.client(),
      () => sentinel.stop(),
    );
  }
  const redis = await TestRedis.start();
  return topology(
    name,
    { url: redis.url },
    async () => redis.client(),
    () => redis.kill(),
  );
}
