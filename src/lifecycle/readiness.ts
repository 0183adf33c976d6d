/**
 * @module lifecycle/readiness
 * What `GET /readyz` answers: whether a load balancer should send this instance traffic, with
 * each capability's state. Readiness follows what this instance can serve, never the carriers'
 * health or anything every instance shares: a Redis blip or a carrier outage affects every
 * replica alike, and a readiness that failed on it would take the whole fleet out of rotation at
 * once while it could still serve from memory.
 *
 * - pass-through (`/v1/carriers/...`): with Redis, or in embedded mode, ready. Without Redis,
 *   degraded while at least one account can still be served: static credentials, tokens the
 *   instance refreshes alone (grants without rotating refresh tokens), or a rotating account
 *   whose access token in memory is still fresh; unavailable when none can.
 * - shipments: need the idempotency record, so Redis (or embedded mode); not configured when no
 *   account has `shipping`.
 * - onboarding (authorization-code consent): keeps its pending states in Redis (or memory in
 *   embedded mode); not configured when no account has an authorization profile.
 *
 * The answer is 503 only while draining (SIGTERM) or when no capability can serve anything.
 */
import type { ConfiguredAccount } from '../core/account.js';
import type { TokenEngine } from '../auth/token-engine.js';
import type { RedisConnection } from '../platform/redis.js';

export type CapabilityState = 'ready' | 'degraded' | 'unavailable' | 'not_configured';

export interface Capability {
  state: CapabilityState;
  detail?: string;
}

export interface Readiness {
  status: 'ready' | 'degraded' | 'draining' | 'not_ready';
  mode: 'shared' | 'embedded';
  redis: 'up' | 'down' | 'not configured';
  capabilities: { passThrough: Capability; shipments: Capability; onboarding: Capability };
}

export interface ReadinessSources {
  accounts: readonly ConfiguredAccount[];
  engine: TokenEngine;
  redis?: RedisConnection;
  /** True from SIGTERM on. */
  draining: () => boolean;
}

const REDIS_DOWN = 'redis unreachable';

/** Accounts this instance can still serve on its own while Redis is away. */
function servableWithoutRedis(accounts: readonly ConfiguredAccount[], engine: TokenEngine): number {
  return accounts.filter((account) => {
    if (account.kind === 'static') return true;
    // Two instances could present the same single-use refresh token: no refresh without the lock.
    if (account.token.usesRefreshToken && account.token.rotatesRefreshTokens)
      return engine.heldToken(account.id) !== undefined;
    return true;
  }).length;
}

function passThrough(sources: ReadinessSources, redisUp: boolean): Capability {
  if (redisUp) return { state: 'ready' };
  const servable = servableWithoutRedis(sources.accounts, sources.engine);
  const of = sources.accounts.length;
  return servable > 0
    ? {
        state: 'degraded',
        detail: `${REDIS_DOWN}: ${servable} of ${of} accounts served from this instance's memory`,
      }
    : { state: 'unavailable', detail: `${REDIS_DOWN}: no account can be served without it` };
}

/** A capability that needs Redis for its state (or memory in embedded mode). */
function needsSharedState(configured: boolean, redisUp: boolean, what: string): Capability {
  if (!configured) return { state: 'not_configured' };
  return redisUp ? { state: 'ready' } : { state: 'unavailable', detail: `${REDIS_DOWN}: ${what}` };
}

export function readiness(sources: ReadinessSources): Readiness {
  const redisUp = sources.redis === undefined || sources.redis.available;
  const capabilities = {
    passThrough: passThrough(sources, redisUp),
    shipments: needsSharedState(
      sources.accounts.some((account) => account.shipping !== undefined),
      redisUp,
      'shipments need their idempotency record',
    ),
    onboarding: needsSharedState(
      sources.accounts.some((account) => account.kind === 'oauth' && account.authorization !== undefined),
      redisUp,
      'pending authorizations live there',
    ),
  };
  const states = Object.values(capabilities).map((capability) => capability.state);
  const configured = states.filter((state) => state !== 'not_configured');
  const status: Readiness['status'] = sources.draining()
    ? 'draining'
    : !configured.some((state) => state === 'ready' || state === 'degraded')
      ? 'not_ready'
      : configured.every((state) => state === 'ready')
        ? 'ready'
        : 'degraded';
  return {
    status,
    mode: sources.redis ? 'shared' : 'embedded',
    redis: sources.redis ? (redisUp ? 'up' : 'down') : 'not configured',
    capabilities,
  };
}

/** 200 while a balancer should send traffic here, 503 otherwise. */
export function readinessHttpStatus(report: Readiness): 200 | 503 {
  return report.status === 'ready' || report.status === 'degraded' ? 200 : 503;
}
