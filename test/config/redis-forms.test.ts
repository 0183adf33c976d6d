/**
 * @module test/config/redis-forms
 * The three forms of `redis` (config/redis-schema.ts): a URL, Sentinel, Cluster; exactly one of
 * them, each checked with an error naming the key path, secrets resolved as anywhere else; and
 * the RedisConnection each form builds (ioredis' own Sentinel and Cluster clients).
 */
import { Cluster, Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';

import { parseConfig } from '../../config/load.js';
import { RedisConnection } from '../../src/platform/redis.js';
import { registerSecrets, testLogger } from '../support/log-capture.js';
import { configFailure, MINIMAL_YAML } from './fixtures.js';

const SENTINEL_PASSWORD = 'sentinel-forms-password-0123';
registerSecrets(SENTINEL_PASSWORD);

const parse = (redis: string, env: NodeJS.ProcessEnv = {}) =>
  parseConfig(`${MINIMAL_YAML}redis: ${redis}\n`, 'gateway.yaml', env);
const detailOf = (redis: string) => configFailure(() => parse(redis)).detail ?? '';

describe('the redis block', () => {
  it('a URL, as before', () => {
    expect(parse(`{ url: 'redis://10.0.0.5:6379/2' }`).redis).toEqual({
      url: 'redis://10.0.0.5:6379/2',
      keyPrefix: 'cg:',
    });
  });

  it('Sentinel: the Sentinels as host:port and the primary’s name; passwords from secrets', () => {
    const config = parse(
      `{ sentinel: { nodes: ['10.0.0.1:26379', 'sentinel-b.internal:26379', '[::1]:26380'], name: mymaster, password: '\${REDIS_PASSWORD}', sentinelPassword: 'x-\${REDIS_PASSWORD}' }, keyPrefix: 'gw:' }`,
      { REDIS_PASSWORD: SENTINEL_PASSWORD },
    );
    expect(config.redis).toEqual({
      sentinel: {
        nodes: ['10.0.0.1:26379', 'sentinel-b.internal:26379', '[::1]:26380'],
        name: 'mymaster',
        password: SENTINEL_PASSWORD,
        sentinelPassword: `x-${SENTINEL_PASSWORD}`,
      },
      keyPrefix: 'gw:',
    });
  });

  it('Cluster: some nodes as redis:// URLs', () => {
    const config = parse(`{ cluster: { nodes: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] } }`);
    expect(config.redis).toEqual({
      cluster: { nodes: ['redis://10.0.0.1:7000', 'redis://10.0.0.2:7000'] },
      keyPrefix: 'cg:',
    });
  });

  it('needs exactly one of url, sentinel and cluster', () => {
    expect(detailOf(`{ keyPrefix: 'cg:' }`)).toBe(
      'gateway.yaml: redis: one of url, sentinel or cluster is required',
    );
    expect(
      detailOf(`{ url: 'redis://127.0.0.1:6379', cluster: { nodes: ['redis://127.0.0.1:7000'] } }`),
    ).toBe(
      'gateway.yaml: redis.cluster: "url" and "cluster" given: use exactly one of url, sentinel or cluster',
    );
    expect(
      detailOf(
        `{ sentinel: { nodes: ['127.0.0.1:26379'], name: m }, cluster: { nodes: ['redis://127.0.0.1:7000'] } }`,
      ),
    ).toBe(
      'gateway.yaml: redis.cluster: "sentinel" and "cluster" given: use exactly one of url, sentinel or cluster',
    );
  });

  it('names the Sentinel key that is wrong', () => {
    expect(detailOf(`{ sentinel: { nodes: ['10.0.0.1'], name: mymaster } }`)).toBe(
      'gateway.yaml: redis.sentinel.nodes[0]: host:port, e.g. "10.0.0.5:26379"',
    );
    expect(detailOf(`{ sentinel: { nodes: ['10.0.0.1:26379', 'b:70000'], name: mymaster } }`)).toBe(
      'gateway.yaml: redis.sentinel.nodes[1]: a port from 1 to 65535',
    );
    expect(detailOf(`{ sentinel: { nodes: [], name: mymaster } }`)).toBe(
      'gateway.yaml: redis.sentinel.nodes: at least one sentinel',
    );
    expect(detailOf(`{ sentinel: { nodes: ['10.0.0.1:26379'] } }`)).toMatch(
      /^gateway\.yaml: redis\.sentinel\.name: /,
    );
    expect(detailOf(`{ sentinel: { nodes: ['10.0.0.1:26379'], name: m, master: x } }`)).toBe(
      'gateway.yaml: redis.sentinel: unknown key "master"',
    );
  });

  it('names the Cluster key that is wrong', () => {
    expect(detailOf(`{ cluster: { nodes: ['10.0.0.1:7000'] } }`)).toBe(
      'gateway.yaml: redis.cluster.nodes[0]: a redis:// or rediss:// URL',
    );
    expect(detailOf(`{ cluster: { nodes: [] } }`)).toBe(
      'gateway.yaml: redis.cluster.nodes: at least one node',
    );
    expect(detailOf(`{ cluster: { nodes: ['redis://10.0.0.1:7000/3'] } }`)).toBe(
      'gateway.yaml: redis.cluster.nodes[0]: Redis Cluster has only database 0: leave the path out',
    );
    expect(
      detailOf(`{ cluster: { nodes: ['redis://:a@10.0.0.1:7000', 'rediss://:a@10.0.0.2:7000'] } }`),
    ).toBe(
      'gateway.yaml: redis.cluster.nodes[1]: every node needs the same scheme and credentials as nodes[0]',
    );
  });

  it('refuses braces in keyPrefix with Cluster (they would replace the gateway’s hash tags)', () => {
    expect(detailOf(`{ cluster: { nodes: ['redis://10.0.0.1:7000'] }, keyPrefix: '{cg}:' }`)).toBe(
      'gateway.yaml: redis.keyPrefix: no "{" or "}" with cluster: the gateway places its own hash tags',
    );
    // One Redis has no slots: any prefix, as before.
    expect(parse(`{ url: 'redis://127.0.0.1:6379', keyPrefix: '{cg}:' }`).redis?.keyPrefix).toBe('{cg}:');
  });
});

describe('the connection each form builds', () => {
  const log = testLogger('redis-forms');

  it('a URL: one ioredis client (and its subscriber) on that endpoint', async () => {
    const connection = new RedisConnection({ url: 'redis://127.0.0.1:6390/2', keyPrefix: 'cg:' }, log);
    expect(connection.topology).toBe('single');
    expect(connection.client).toBeInstanceOf(Redis);
    expect((connection.client as Redis).options).toMatchObject({
      port: 6390,
      db: 2,
      enableOfflineQueue: false,
    });
    await connection.close();
  });

  it('Sentinel: ioredis asks the Sentinels for the primary by name', async () => {
    const connection = new RedisConnection(
      {
        sentinel: {
          nodes: ['10.0.0.1:26379', '[::1]:26380'],
          name: 'mymaster',
          sentinelPassword: SENTINEL_PASSWORD,
        },
        keyPrefix: 'cg:',
      },
      log,
    );
    expect(connection.topology).toBe('sentinel');
    for (const client of [connection.client, connection.subscriber]) {
      expect((client as Redis).options).toMatchObject({
        name: 'mymaster',
        role: 'master',
        sentinels: [
          { host: '10.0.0.1', port: 26379 },
          { host: '::1', port: 26380 },
        ],
        sentinelPassword: SENTINEL_PASSWORD,
        failoverDetector: true,
      });
    }
    await connection.close();
  });

  it('Cluster: ioredis’ Cluster client, with the nodes’ credentials for every node it discovers', async () => {
    const connection = new RedisConnection(
      {
        cluster: { nodes: ['redis://app:pw@10.0.0.1:7000', 'redis://app:pw@10.0.0.2:7001'] },
        keyPrefix: 'cg:',
      },
      log,
    );
    expect(connection.topology).toBe('cluster');
    expect(connection.client).toBeInstanceOf(Cluster);
    const cluster = connection.client as Cluster;
    expect(cluster.options.redisOptions).toMatchObject({
      username: 'app',
      password: 'pw',
      maxRetriesPerRequest: 0,
    });
    expect(cluster.options.enableOfflineQueue).toBe(false);
    await connection.close();
  });
});
