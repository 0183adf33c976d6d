/**
 * @module http/routes/getHealth
 * `GET /healthz` (the process is alive) and `GET /readyz` (configuration loaded, and Redis
 * reachable or embedded mode). Neither needs a client key: load balancers call them.
 */
import type { Context } from 'hono';

import type { AppDependencies, AppEnv } from '../env.js';

export function getHealthz() {
  return function healthz(c: Context<AppEnv>) {
    return c.json({ status: 'alive' });
  };
}

export function getReadyz(deps: Pick<AppDependencies, 'redis'>) {
  return function readyz(c: Context<AppEnv>) {
    const mode = deps.redis ? 'shared' : 'embedded';
    const ready = deps.redis ? deps.redis.available : true;
    return c.json(
      {
        status: ready ? 'ready' : 'not_ready',
        mode,
        redis: deps.redis ? (ready ? 'up' : 'down') : 'not configured',
      },
      ready ? 200 : 503,
    );
  };
}
