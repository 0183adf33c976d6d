/**
 * @module http/routes/getHealth
 * `GET /healthz` (the process is alive: liveness) and `GET /readyz` (whether to send this
 * instance traffic, per capability; src/lifecycle/readiness.ts has the rules). Neither needs a
 * client key: load balancers and Kubernetes probes call them.
 */
import type { Context } from 'hono';

import type { AppDependencies, AppEnv } from '../env.js';
import type { RouteDoc } from '../openapi-route.js';
import { READINESS_EXAMPLE, readinessSchema } from '../openapi-schemas.js';
import { z } from 'zod';
import { readiness, readinessHttpStatus, type Readiness } from '../../lifecycle/readiness.js';

export const getHealthzDoc: RouteDoc = {
  method: 'get',
  path: '/healthz',
  operationId: 'getHealthz',
  tag: 'Health',
  summary: 'Liveness: 200 while the process runs (draining included)',
  auth: 'none',
  answers: {
    200: {
      description: 'Alive',
      schema: z.object({ status: z.literal('alive') }),
      example: { status: 'alive' },
    },
  },
  problems: [],
};

export const getReadyzDoc: RouteDoc = {
  method: 'get',
  path: '/readyz',
  operationId: 'getReadyz',
  tag: 'Health',
  summary: 'Readiness: whether to send this instance traffic, per capability',
  description:
    '503 only while the instance drains or when no capability can serve anything; otherwise 200 ' +
    'with `ready` or `degraded` (a Redis loss leaves the fleet in rotation while it serves from memory).',
  auth: 'none',
  answers: {
    200: { description: 'Ready or degraded', schema: readinessSchema, example: READINESS_EXAMPLE },
    503: {
      description: 'Draining or not ready',
      schema: readinessSchema,
      example: { ...READINESS_EXAMPLE, status: 'draining' },
    },
  },
  problems: [],
};

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
