/**
 * @module http/routes/getHealthCarriers
 * `GET /v1/health/carriers` and `GET /v1/health/carriers/{id}`: the health of carrier accounts
 * (src/health/health-service.ts). An operator's admin key sees every account; a shipping app's
 * client key sees its own.
 */
import type { Context } from 'hono';

import type { AdminRegistry } from '../admins.js';
import type { ClientRegistry } from '../clients.js';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import { z } from 'zod';
import type { RouteDoc } from '../openapi-route.js';
import { ACCOUNT_HEALTH_EXAMPLE, accountHealthSchema } from '../openapi-schemas.js';
import type { HealthService } from '../../health/health-service.js';

export interface HealthRouteDependencies {
  health: HealthService;
  admins: AdminRegistry;
  clients: ClientRegistry;
}

export const getHealthCarriersDoc: RouteDoc = {
  method: 'get',
  path: '/v1/health/carriers',
  operationId: 'listAccountHealth',
  tag: 'Health',
  summary: 'The health of carrier accounts: status, score and its inputs, failures by class, trend',
  description: 'An admin key sees every account, a client key its own.',
  auth: 'admin-or-client',
  answers: {
    200: {
      description: 'One report per visible account',
      schema: z.object({ carriers: z.array(accountHealthSchema) }),
      example: { carriers: [ACCOUNT_HEALTH_EXAMPLE] },
    },
  },
  problems: ['ERR_UNAUTHENTICATED'],
};

export const getHealthCarrierDoc: RouteDoc = {
  method: 'get',
  path: '/v1/health/carriers/:id',
  operationId: 'getAccountHealth',
  tag: 'Health',
  summary: "One account's health",
  auth: 'admin-or-client',
  params: { id: 'The carrier account' },
  answers: {
    200: {
      description: "The account's report",
      schema: accountHealthSchema,
      example: ACCOUNT_HEALTH_EXAMPLE,
    },
  },
  problems: ['ERR_UNAUTHENTICATED', 'ERR_ACCOUNT_NOT_FOUND', 'ERR_ACCOUNT_FORBIDDEN'],
};

/** The accounts the caller may see: all for an admin key, its own for a client key. */
export function visibleAccounts(
  deps: HealthRouteDependencies,
  authorization: string | undefined,
): string[] | 'all' {
  try {
    deps.admins.authenticate(authorization);
    return 'all';
  } catch (error) {
    if (!isGatewayError(error)) throw error;
  }
  return [...deps.clients.authenticate(authorization).accounts];
}

export function getHealthCarriers(deps: HealthRouteDependencies) {
  return async function healthCarriers(c: Context) {
    const visible = visibleAccounts(deps, c.req.header('authorization'));
    const reports = await deps.health.reports();
    const carriers =
      visible === 'all' ? reports : reports.filter((report) => visible.includes(report.account));
    return c.json({ carriers });
  };
}

export function getHealthCarrier(deps: HealthRouteDependencies) {
  return async function healthCarrier(c: Context) {
    const id = c.req.param('id') ?? '';
    const visible = visibleAccounts(deps, c.req.header('authorization'));
    // Another client's account is answered as an unknown one: ids are not disclosed (issue 12.8).
    if (!deps.health.has(id) || (visible !== 'all' && !visible.includes(id))) {
      throw new GatewayError('ERR_ACCOUNT_NOT_FOUND', undefined, { account: id });
    }
    return c.json(await deps.health.report(id));
  };
}
