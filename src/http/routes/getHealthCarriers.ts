/**
 * @module http/routes/getHealthCarriers
 * `GET /v1/health/carriers` and `GET /v1/health/carriers/{id}`: the health of carrier accounts
 * (src/health/health-service.ts). An operator's admin key sees every account; a shipping app's
 * client key sees its own.
 *
 * The list can be filtered (`q`: part of the account id or carrier; `status`) and paged (`limit`,
 * `offset`): a paged list is worst first (down, degraded, healthy; lowest score first), so the
 * first page of a 10,000-account fleet holds its failing accounts and the /ops page never has to
 * fetch or draw them all. Every answer counts the visible accounts by status.
 */
import type { Context } from 'hono';

import type { AdminRegistry } from '../admins.js';
import type { ClientRegistry } from '../clients.js';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import { z } from 'zod';
import type { RouteDoc } from '../openapi-route.js';
import { invalid } from './admin.js';
import { ACCOUNT_HEALTH_EXAMPLE, accountHealthSchema } from '../openapi-schemas.js';
import type { AccountHealth, HealthService } from '../../health/health-service.js';

export interface HealthRouteDependencies {
  health: HealthService;
  admins: AdminRegistry;
  clients: ClientRegistry;
}

const STATUSES = ['down', 'degraded', 'healthy'] as const;
/** The most reports one page holds. */
export const HEALTH_PAGE_MAX = 500;

const listQuery = z.strictObject({
  q: z.string().trim().min(1).max(200).optional().describe('Part of the account id or of the carrier'),
  status: z
    .enum([...STATUSES, 'failing'])
    .optional()
    .describe('Only accounts with this status (`failing`: down or degraded)'),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(HEALTH_PAGE_MAX)
    .optional()
    .describe('Reports per page; a paged list is worst first'),
  offset: z.coerce.number().int().min(0).optional().describe('Reports to skip (with `limit`)'),
});

const statusCounts = z.object({
  down: z.number().int(),
  degraded: z.number().int(),
  healthy: z.number().int(),
});

export const getHealthCarriersDoc: RouteDoc = {
  method: 'get',
  path: '/v1/health/carriers',
  operationId: 'listAccountHealth',
  tag: 'Health',
  summary: 'The health of carrier accounts: status, score and its inputs, failures by class, trend',
  description:
    'An admin key sees every account, a client key its own. Without `limit` or `offset` every ' +
    'matching account is answered in configuration order; with them, one page, worst first (down, ' +
    'degraded, healthy; lowest score first, then by id).',
  auth: 'admin-or-client',
  query: listQuery,
  answers: {
    200: {
      description: 'One report per matching account (or per account of the page)',
      schema: z.object({
        carriers: z.array(accountHealthSchema),
        total: z.number().int().describe('Accounts matching `q` and `status`, all pages together'),
        counts: statusCounts.describe('Visible accounts by status, whatever `q` and `status`'),
      }),
      example: { carriers: [ACCOUNT_HEALTH_EXAMPLE], total: 1, counts: { down: 0, degraded: 0, healthy: 1 } },
    },
  },
  problems: ['ERR_UNAUTHENTICATED', 'ERR_REQUEST_INVALID'],
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

const RANK: Record<string, number> = { down: 0, degraded: 1, healthy: 2 };

/** Worst first: down, degraded, healthy; the lowest score first; then by id. */
export function bySeverity(a: AccountHealth, b: AccountHealth): number {
  return (
    (RANK[a.status] ?? -1) - (RANK[b.status] ?? -1) ||
    a.score - b.score ||
    (a.account < b.account ? -1 : a.account > b.account ? 1 : 0)
  );
}

export function getHealthCarriers(deps: HealthRouteDependencies) {
  return async function healthCarriers(c: Context) {
    const visible = visibleAccounts(deps, c.req.header('authorization'));
    const parsed = listQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const { q, status, limit, offset } = parsed.data;
    const allowed = visible === 'all' ? undefined : new Set(visible);
    const reports = (await deps.health.reports()).filter(
      (report) => allowed === undefined || allowed.has(report.account),
    );
    const counts = { down: 0, degraded: 0, healthy: 0 };
    for (const report of reports) counts[report.status] += 1;
    const needle = q?.toLowerCase();
    let carriers = reports.filter(
      (report) =>
        (needle === undefined ||
          report.account.toLowerCase().includes(needle) ||
          report.carrier.toLowerCase().includes(needle)) &&
        (status === undefined ||
          (status === 'failing' ? report.status !== 'healthy' : report.status === status)),
    );
    const total = carriers.length;
    if (limit !== undefined || offset !== undefined) {
      const from = offset ?? 0;
      carriers = carriers.sort(bySeverity).slice(from, from + (limit ?? HEALTH_PAGE_MAX));
    }
    return c.json({ carriers, total, counts });
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
