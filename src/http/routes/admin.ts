/**
 * @module http/routes/admin
 * The operators' API under `/v1/admin` (admin keys only; a shipping app's key is a wrong key):
 * manual failover and restore, drain, breaker modes, token refresh and purge, a probe now, a
 * configuration reload, and the audit log. Bodies are checked by zod with every bad field named;
 * a refused body is audited too and changes nothing. The actions themselves live in
 * src/admin/admin-actions.ts.
 */
import type { Context, Hono } from 'hono';
import { z } from 'zod';

import type { AdminActions } from '../../admin/admin-actions.js';
import type { AdminRegistry, AuthenticatedAdmin } from '../admins.js';
import type { AppEnv } from '../env.js';
import { GatewayError } from '../../core/errors.js';

const reason = z.string().trim().min(1, 'say why (it goes to the audit log)').max(500);
const ttlSeconds = z
  .number()
  .int()
  .min(1)
  .max(7 * 24 * 3600);
/** The override version the operator acted on (`version` in the last answer); optional. */
const ifVersion = z.number().int().min(0);

const failoverBody = z.strictObject({
  to: z.string().min(1).max(200).optional(),
  reason,
  ttlSeconds: ttlSeconds.optional(),
  ifVersion: ifVersion.optional(),
});
const timedBody = z.strictObject({
  reason,
  ttlSeconds: ttlSeconds.optional(),
  ifVersion: ifVersion.optional(),
});
const breakerBody = timedBody.extend({ mode: z.enum(['open', 'closed', 'auto']) });
const reasonBody = z.strictObject({ reason });
const optionalReasonBody = z.strictObject({ reason: reason.optional(), ifVersion: ifVersion.optional() });
const resolveBody = z.strictObject({
  outcome: z.enum(['created', 'failed']),
  reason,
  trackingNumbers: z.array(z.string().trim().min(1).max(50)).max(50).optional(),
});
const auditQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  account: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(50).optional(),
});

function invalid(error: z.ZodError, where: 'body' | 'query'): GatewayError {
  const errors = error.issues.map((issue) => ({
    field: issue.path.map(String).join('.') || `(${where})`,
    message: issue.message,
  }));
  return new GatewayError('ERR_REQUEST_INVALID', undefined, {
    detail: errors.map((entry) => `${entry.field}: ${entry.message}`).join('; '),
    extensions: { errors },
  });
}

/** An empty body counts as `{}` (DELETE, probe); anything else must be a JSON object. */
async function readBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new GatewayError('ERR_REQUEST_INVALID', undefined, { detail: 'the body must be a JSON object' });
  }
}

export function registerAdminRoutes(
  app: Hono<AppEnv>,
  deps: { admins: AdminRegistry; actions: AdminActions },
): void {
  const { admins, actions } = deps;

  /** One account action: authenticate, parse (a refusal is audited), act, answer 200 JSON. */
  function accountAction<S extends z.ZodType, R>(
    action: string,
    schema: S,
    run: (admin: AuthenticatedAdmin, id: string, input: z.infer<S>) => Promise<R>,
  ) {
    return async (c: Context<AppEnv>) => {
      const admin = admins.authenticate(c.req.header('authorization'));
      const id = c.req.param('id') ?? '';
      const parsed = schema.safeParse(await readBody(c));
      if (!parsed.success) {
        const error = invalid(parsed.error, 'body');
        await actions.refused(admin, action, id, error);
        throw error;
      }
      return c.json((await run(admin, id, parsed.data)) as object, 200, { 'cache-control': 'no-store' });
    };
  }

  const path = '/v1/admin/accounts/:id';
  app.post(
    `${path}/failover`,
    accountAction('failover', failoverBody, (admin, id, input) =>
      actions.failover(admin, id, compact(input)),
    ),
  );
  app.delete(
    `${path}/failover`,
    accountAction('restore', optionalReasonBody, (admin, id, input) =>
      actions.restore(admin, id, compact(input)),
    ),
  );
  app.post(
    `${path}/drain`,
    accountAction('drain', timedBody, (admin, id, input) => actions.drain(admin, id, compact(input))),
  );
  app.delete(
    `${path}/drain`,
    accountAction('undrain', optionalReasonBody, (admin, id, input) =>
      actions.undrain(admin, id, compact(input)),
    ),
  );
  app.post(
    `${path}/breaker`,
    accountAction('breaker', breakerBody, (admin, id, input) => actions.breaker(admin, id, compact(input))),
  );
  app.post(
    `${path}/refresh`,
    accountAction('refresh', reasonBody, (admin, id, input) => actions.refresh(admin, id, input)),
  );
  app.post(
    `${path}/purge`,
    accountAction('purge', reasonBody, (admin, id, input) => actions.purge(admin, id, input)),
  );
  app.post(
    `${path}/probe`,
    accountAction('probe', z.strictObject({ reason: reason.optional() }), (admin, id, input) =>
      actions.probe(admin, id, compact(input)),
    ),
  );

  // An in-doubt shipment settled by hand (docs/runbooks/shipment-in-doubt.md).
  app.post('/v1/admin/shipments/:id/resolve', async (c) => {
    const admin = admins.authenticate(c.req.header('authorization'));
    const id = c.req.param('id') ?? '';
    const parsed = resolveBody.safeParse(await readBody(c));
    if (!parsed.success) {
      const error = invalid(parsed.error, 'body');
      await actions.refused(admin, 'shipment_resolve', undefined, error);
      throw error;
    }
    return c.json(await actions.resolveShipment(admin, id, compact(parsed.data)), 200, {
      'cache-control': 'no-store',
    });
  });

  app.post('/v1/admin/config/reload', async (c) => {
    const admin = admins.authenticate(c.req.header('authorization'));
    const parsed = reasonBody.safeParse(await readBody(c));
    if (!parsed.success) {
      const error = invalid(parsed.error, 'body');
      await actions.refused(admin, 'reload', undefined, error);
      throw error;
    }
    return c.json(await actions.reload(admin, parsed.data), 200, { 'cache-control': 'no-store' });
  });

  app.get('/v1/admin/audit', async (c) => {
    admins.authenticate(c.req.header('authorization'));
    const parsed = auditQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const query = compact(parsed.data);
    return c.json({ entries: await actions.list(query) }, 200, { 'cache-control': 'no-store' });
  });
}

type Compact<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** zod gives absent optional members as `undefined`; the actions take them as absent. */
function compact<T extends object>(value: T): Compact<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Compact<T>;
}
