/**
 * @module http/routes/getHealthCarriers
 * `GET /v1/health/carriers` and `GET /v1/health/carriers/{id}`: the health of carrier accounts
 * (src/health/health-service.ts). An operator's admin key sees every account; a shipping app's
 * client key sees its own.
 *
 * One list, two orders (README "Health"). By default pages follow account ids, `limit` at a time,
 * with an opaque `cursor` (`nextCursor`): each page costs its own reports, whatever the fleet's
 * size (issue 11). With `sort=severity` the list is worst first (down, degraded, healthy; lowest
 * score first; then by id) and pages by `offset`, with `total` and `counts`: the /ops page's view,
 * whose cost is the accounts with something to say plus the page (HealthService.severityPage).
 * Both take `q` (part of the account id or carrier) and `status` (`failing`: down or degraded).
 */
import type { Context } from 'hono';

import type { AdminRegistry } from '../admins.js';
import type { ClientRegistry } from '../clients.js';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import { z } from 'zod';
import type { RouteDoc } from '../openapi-route.js';
import { ACCOUNT_HEALTH_EXAMPLE, accountHealthSchema } from '../openapi-schemas.js';
import { invalidInput } from '../problem.js';
import type { HealthService } from '../../health/health-service.js';

export interface HealthRouteDependencies {
  health: HealthService;
  admins: AdminRegistry;
  clients: ClientRegistry;
}

/** Reports per page unless `limit` says otherwise, and the most a page may hold. */
export const HEALTH_PAGE_DEFAULT = 100;
export const HEALTH_PAGE_MAX = 1000;

/**
 * A cursor is the last account id of the page before, versioned and base64url-encoded: opaque to
 * callers, stable while accounts come and go (pages follow account ids in code-unit order).
 */
const CURSOR_PREFIX = 'h1:';
const encodeCursor = (after: string) => Buffer.from(CURSOR_PREFIX + after, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string | undefined {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  // Anything that does not encode back to itself was not written by this gateway.
  if (!text.startsWith(CURSOR_PREFIX) || encodeCursor(text.slice(CURSOR_PREFIX.length)) !== cursor)
    return undefined;
  const after = text.slice(CURSOR_PREFIX.length);
  return after.length > 0 ? after : undefined;
}

const healthQuery = z
  .strictObject({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(HEALTH_PAGE_MAX)
      .default(HEALTH_PAGE_DEFAULT)
      .describe(`Reports per page, 1 to ${HEALTH_PAGE_MAX} (default ${HEALTH_PAGE_DEFAULT})`),
    cursor: z
      .string()
      .min(1)
      .max(400)
      .refine((cursor) => decodeCursor(cursor) !== undefined, 'not a cursor this gateway gave out')
      .optional()
      .describe("The previous page's `nextCursor` (id order); absent for the first page"),
    sort: z
      .enum(['id', 'severity'])
      .default('id')
      .describe(
        '`id` (default): account id order, paged by `cursor`; `severity`: worst first, paged by `offset`',
      ),
    offset: z.coerce
      .number()
      .int()
      .min(0)
      .optional()
      .describe('Matching accounts to skip, worst first (with `sort=severity`; default 0)'),
    status: z
      .enum(['healthy', 'degraded', 'down', 'failing'])
      .optional()
      .describe('Only accounts with this status (`failing`: down or degraded)'),
    q: z
      .string()
      .trim()
      .min(1)
      .max(200)
      .optional()
      .describe('Only accounts whose id or carrier contains this'),
  })
  .superRefine((query, context) => {
    if (query.sort === 'id' && query.offset !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['offset'],
        message: 'offset pages the severity order (sort=severity); the id order pages with cursor',
      });
    if (query.sort === 'severity' && query.cursor !== undefined)
      context.addIssue({
        code: 'custom',
        path: ['cursor'],
        message: 'cursor pages the id order; the severity order pages with offset',
      });
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
    'An admin key sees every account, a client key its own. By default pages follow account ids; ' +
    'ask again with `cursor` set to `nextCursor` until it is null. With `status`, such a page may ' +
    'hold fewer reports than `limit` while more follow. With `sort=severity` the list is worst first ' +
    '(down, degraded, healthy; lowest score first; then by id), pages by `offset` (`nextOffset`), and ' +
    'the answer adds `total` (matching accounts) and `counts` (visible accounts by status).',
  auth: 'admin-or-client',
  query: healthQuery,
  answers: {
    200: {
      description: 'One report per account of the page, in the order asked for',
      schema: z.object({
        carriers: z.array(accountHealthSchema),
        nextCursor: z
          .string()
          .nullable()
          .optional()
          .describe('Id order: where the next page starts; null after the last'),
        nextOffset: z
          .number()
          .int()
          .nullable()
          .optional()
          .describe("Severity order: the next page's `offset`; null after the last"),
        total: z.number().int().optional().describe('Severity order: accounts matching `q` and `status`'),
        counts: statusCounts
          .optional()
          .describe('Severity order: visible accounts by status, whatever `q` and `status`'),
      }),
      example: { carriers: [ACCOUNT_HEALTH_EXAMPLE], nextCursor: encodeCursor('ups-main') },
    },
  },
  problems: ['ERR_UNAUTHENTICATED', 'ERR_QUERY_INVALID', 'ERR_REDIS_UNAVAILABLE'],
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
  problems: [
    'ERR_UNAUTHENTICATED',
    'ERR_ACCOUNT_NOT_FOUND',
    'ERR_ACCOUNT_FORBIDDEN',
    'ERR_REDIS_UNAVAILABLE',
  ],
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
    const parsed = healthQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalidInput('ERR_QUERY_INVALID', parsed.error, 'query');
    const { limit, cursor, sort, offset, status, q } = parsed.data;
    const filters = {
      ...(visible !== 'all' ? { visible: new Set(visible) } : {}),
      ...(status !== undefined ? { status } : {}),
      ...(q !== undefined ? { q } : {}),
    };
    if (sort === 'severity') {
      const from = offset ?? 0;
      const page = await deps.health.severityPage({ ...filters, offset: from, limit });
      return c.json({
        carriers: page.reports,
        nextOffset: from + limit < page.total ? from + limit : null,
        total: page.total,
        counts: page.counts,
      });
    }
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const page = await deps.health.page({ ...filters, limit, ...(after !== undefined ? { after } : {}) });
    return c.json({
      carriers: page.reports,
      nextCursor: page.after === null ? null : encodeCursor(page.after),
    });
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
