/**
 * @module http/routes/getHealth
 * `GET /healthz` (the process is alive: liveness) and `GET /readyz` (whether to send this
 * instance traffic, per capability; src/lifecycle/readiness.ts has the rules). Neither needs a
 * client key: load balancers and Kubernetes probes call them.
 */
import type { Context } from 'hono';

import type { AppDependencies, AppEnv } from '../env.js';
import { readiness, readinessHttpStatus, type Readiness } from '../../lifecycle/readiness.js';

export function getHealthz() {
  return function healthz(c: Context<AppEnv>) {
    return c.json({ status: 'alive' });
  };
}

export function getReadyz(deps: Pick<AppDependencies, 'redis' | 'engine' | 'readiness'>) {
  // An app built without the gateway's accounts (tests of single routes) has only Redis to go by.
  const report: () => Readiness =
    deps.readiness ??
    (() =>
      readiness({
        accounts: [],
        engine: deps.engine,
        ...(deps.redis ? { redis: deps.redis } : {}),
        draining: () => false,
      }));
  return function readyz(c: Context<AppEnv>) {
    const answer = report();
    return c.json(answer, readinessHttpStatus(answer));
  };
}
