/**
 * @module config/redis-schema
 * The `redis` block of the configuration: where the fleet's shared Redis is, in one of three
 * forms (one endpoint by URL, a Sentinel-monitored primary, or a Redis Cluster), and the prefix
 * of every key. src/redis.ts turns it into ioredis clients.
 */
import { z } from 'zod';

const redisUrl = z.url({ protocol: /^rediss?$/, error: 'a redis:// or rediss:// URL' });

/** `host:port` (IPv6 in brackets), as Sentinel addresses are usually written. */
const hostPort = z.string().superRefine((value, ctx) => {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/.exec(value);
  if (match === null) ctx.addIssue({ code: 'custom', message: 'host:port, e.g. "10.0.0.5:26379"' });
  else if (!(Number(match[2]) >= 1 && Number(match[2]) <= 65_535))
    ctx.addIssue({ code: 'custom', message: 'a port from 1 to 65535' });
});

const sentinelSchema = z.strictObject({
  /** The Sentinels to ask where the primary is (any that answers will do). */
  nodes: z.array(hostPort).min(1, 'at least one sentinel'),
  /** The primary's name in the Sentinels' configuration (`sentinel monitor <name> ...`). */
  name: z.string().min(1),
  /** ACL user and password of the Redis servers (the Sentinels' own are separate). */
  username: z.string().min(1).optional(),
  password: z.string().min(1).optional(),
  sentinelUsername: z.string().min(1).optional(),
  sentinelPassword: z.string().min(1).optional(),
  db: z.number().int().min(0).max(15).optional(),
});
export type SentinelConfig = z.infer<typeof sentinelSchema>;

/** Scheme and credentials of a node URL: every node of a cluster must share them. */
function access(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.username}:${parsed.password}`;
}

const clusterSchema = z
  .strictObject({
    /** Some of the cluster's nodes; the client learns the rest (and the slot map) from them. */
    nodes: z.array(redisUrl).min(1, 'at least one node'),
  })
  .superRefine((cluster, ctx) => {
    // A node that is no URL has its own issue already.
    if (!cluster.nodes.every((node) => URL.canParse(node))) return;
    cluster.nodes.forEach((node, index) => {
      const { pathname } = new URL(node);
      if (pathname !== '' && pathname !== '/' && pathname !== '/0') {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', index],
          message: 'Redis Cluster has only database 0: leave the path out',
        });
      }
      if (index > 0 && access(node) !== access(cluster.nodes[0]!)) {
        ctx.addIssue({
          code: 'custom',
          path: ['nodes', index],
          message: 'every node needs the same scheme and credentials as nodes[0]',
        });
      }
    });
  });
export type ClusterConfig = z.infer<typeof clusterSchema>;

const FORMS = ['url', 'sentinel', 'cluster'] as const;

export const redisSchema = z
  .strictObject({
    /** One endpoint: a standalone Redis, or a managed service's primary endpoint. */
    url: redisUrl.optional(),
    sentinel: sentinelSchema.optional(),
    cluster: clusterSchema.optional(),
    keyPrefix: z.string().min(1).default('cg:'),
  })
  .superRefine((redis, ctx) => {
    const given = FORMS.filter((form) => redis[form] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: given.length === 0 ? [] : [given[1]!],
        message:
          given.length === 0
            ? 'one of url, sentinel or cluster is required'
            : `${given.map((form) => `"${form}"`).join(' and ')} given: use exactly one of url, sentinel or cluster`,
      });
    }
    // The first {...} of a key is its hash tag; the gateway's keys carry their own ({account}),
    // which a brace in the prefix would override or cut short.
    if (redis.cluster !== undefined && /[{}]/.test(redis.keyPrefix)) {
      ctx.addIssue({
        code: 'custom',
        path: ['keyPrefix'],
        message: 'no "{" or "}" with cluster: the gateway places its own hash tags',
      });
    }
  });
export type RedisConfig = z.infer<typeof redisSchema>;
