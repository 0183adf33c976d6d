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
import { documented, type RouteDoc } from '../openapi-route.js';
import { invalidInput } from '../problem.js';
import { OVERRIDE_ANSWER_EXAMPLE, overrideAnswerSchema } from '../openapi-schemas.js';

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
const probeBody = z.strictObject({ reason: reason.optional() });
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

const invalid = (error: z.ZodError, where: 'body' | 'query'): GatewayError =>
  invalidInput('ERR_REQUEST_INVALID', error, where);

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

  documented(
    app,
    ADMIN_DOCS.failover,
    accountAction('failover', failoverBody, (admin, id, input) =>
      actions.failover(admin, id, compact(input)),
    ),
  );
  documented(
    app,
    ADMIN_DOCS.restore,
    accountAction('restore', optionalReasonBody, (admin, id, input) =>
      actions.restore(admin, id, compact(input)),
    ),
  );
  documented(
    app,
    ADMIN_DOCS.drain,
    accountAction('drain', timedBody, (admin, id, input) => actions.drain(admin, id, compact(input))),
  );
  documented(
    app,
    ADMIN_DOCS.undrain,
    accountAction('undrain', optionalReasonBody, (admin, id, input) =>
      actions.undrain(admin, id, compact(input)),
    ),
  );
  documented(
    app,
    ADMIN_DOCS.breaker,
    accountAction('breaker', breakerBody, (admin, id, input) => actions.breaker(admin, id, compact(input))),
  );
  documented(
    app,
    ADMIN_DOCS.refresh,
    accountAction('refresh', reasonBody, (admin, id, input) => actions.refresh(admin, id, input)),
  );
  documented(
    app,
    ADMIN_DOCS.purge,
    accountAction('purge', reasonBody, (admin, id, input) => actions.purge(admin, id, input)),
  );
  documented(
    app,
    ADMIN_DOCS.probe,
    accountAction('probe', probeBody, (admin, id, input) => actions.probe(admin, id, compact(input))),
  );

  // An in-doubt shipment settled by hand (docs/runbooks/shipment-in-doubt.md).
  documented(app, ADMIN_DOCS.resolveShipment, async (c) => {
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

  documented(app, ADMIN_DOCS.reload, async (c) => {
    const admin = admins.authenticate(c.req.header('authorization'));
    const parsed = reasonBody.safeParse(await readBody(c));
    if (!parsed.success) {
      const error = invalid(parsed.error, 'body');
      await actions.refused(admin, 'reload', undefined, error);
      throw error;
    }
    return c.json(await actions.reload(admin, parsed.data), 200, { 'cache-control': 'no-store' });
  });

  documented(app, ADMIN_DOCS.audit, async (c) => {
    admins.authenticate(c.req.header('authorization'));
    const parsed = auditQuery.safeParse(c.req.query());
    if (!parsed.success) throw invalid(parsed.error, 'query');
    const query = compact(parsed.data);
    return c.json({ entries: await actions.list(query) }, 200, { 'cache-control': 'no-store' });
  });
}

const ACCOUNT_PATH = '/v1/admin/accounts/:id';
const ACCOUNT_PARAM = { id: 'The carrier account (`accounts[].id`)' };
/** What every action can be refused for; account actions add the account's own. */
const ADMIN_PROBLEMS = ['ERR_ADMIN_UNAUTHENTICATED', 'ERR_REQUEST_INVALID'] as const;
const ACCOUNT_PROBLEMS = [...ADMIN_PROBLEMS, 'ERR_ACCOUNT_NOT_FOUND'] as const;
const OVERRIDE_PROBLEMS = [
  ...ACCOUNT_PROBLEMS,
  'ERR_OVERRIDE_VERSION_CONFLICT',
  'ERR_REDIS_UNAVAILABLE',
] as const;

const overrideAnswer = {
  200: {
    description: "The account's override now, and its version (send it back as `ifVersion`)",
    schema: overrideAnswerSchema,
    example: OVERRIDE_ANSWER_EXAMPLE,
  },
};
const audited = " Audited with the admin key's id, the reason and the outcome (refusals included).";

function accountDoc(
  method: 'post' | 'delete',
  action: string,
  operationId: string,
  summary: string,
  body: RouteDoc['body'],
  problems: RouteDoc['problems'],
  answers: RouteDoc['answers'] = overrideAnswer,
): RouteDoc {
  return {
    method,
    path: `${ACCOUNT_PATH}/${action}`,
    operationId,
    tag: 'Operations',
    summary,
    description: summary + '.' + audited,
    auth: 'admin',
    params: ACCOUNT_PARAM,
    ...(body !== undefined ? { body } : {}),
    answers,
    problems,
  };
}

const genericAnswer = (description: string, example: object) => ({
  200: { description, schema: z.looseObject({ account: z.string() }), example },
});

/** The operators' API, one doc per route (src/http/openapi-route.ts). */
export const ADMIN_DOCS = {
  failover: accountDoc(
    'post',
    'failover',
    'failoverAccount',
    "Fail an account's shipments over to another account (or to each request's next one)",
    {
      schema: failoverBody,
      example: { to: 'fedex-demo', reason: 'INC-42 UPS token endpoint down', ttlSeconds: 3600 },
    },
    [...OVERRIDE_PROBLEMS, 'ERR_OVERRIDE_CONFLICT'],
  ),
  restore: accountDoc(
    'delete',
    'failover',
    'restoreAccount',
    "End an account's manual failover",
    { schema: optionalReasonBody, example: { reason: 'UPS back' } },
    OVERRIDE_PROBLEMS,
  ),
  drain: accountDoc(
    'post',
    'drain',
    'drainAccount',
    'Send no new shipments to an account',
    { schema: timedBody, example: { reason: 'carrier maintenance', ttlSeconds: 7200 } },
    OVERRIDE_PROBLEMS,
  ),
  undrain: accountDoc(
    'delete',
    'drain',
    'undrainAccount',
    'Send shipments to a drained account again',
    { schema: optionalReasonBody, example: { reason: 'maintenance over' } },
    OVERRIDE_PROBLEMS,
  ),
  breaker: accountDoc(
    'post',
    'breaker',
    'forceBreaker',
    "Force an account's auth breaker open or closed, or give it back to the rules (auto)",
    { schema: breakerBody, example: { mode: 'open', reason: 'INC-42', ttlSeconds: 900 } },
    OVERRIDE_PROBLEMS,
  ),
  refresh: accountDoc(
    'post',
    'refresh',
    'refreshToken',
    "Refresh an account's token now, for the whole fleet (lifts a cooldown)",
    { schema: reasonBody, example: { reason: 'rotated the secret' } },
    [
      ...ACCOUNT_PROBLEMS,
      'ERR_ACTION_NOT_APPLICABLE',
      'ERR_TOKEN_INVALID_CLIENT',
      'ERR_TOKEN_ENDPOINT_UNREACHABLE',
    ],
    genericAnswer('The refresh done', { account: 'ups-demo', generation: 2, expiresInSeconds: 14_399 }),
  ),
  purge: accountDoc(
    'post',
    'purge',
    'purgeToken',
    "Drop an account's tokens in Redis and on every instance",
    { schema: reasonBody, example: { reason: 'token leaked in a ticket' } },
    [...ACCOUNT_PROBLEMS, 'ERR_ACTION_NOT_APPLICABLE'],
    genericAnswer('The tokens dropped', { account: 'ups-demo', purged: true }),
  ),
  probe: accountDoc(
    'post',
    'probe',
    'probeAccount',
    "Run the account's synthetic probe now and answer with its steps",
    { schema: probeBody, example: { reason: 'checking after INC-42' } },
    ACCOUNT_PROBLEMS,
    genericAnswer('The probe and its steps', { account: 'ups-demo', probe: { ok: true, steps: [] } }),
  ),
  resolveShipment: {
    method: 'post',
    path: '/v1/admin/shipments/:id/resolve',
    operationId: 'resolveShipment',
    tag: 'Operations',
    summary: 'Settle a shipment whose label outcome is unknown, after checking at the carrier',
    description:
      "`created`: the label exists (with the tracking numbers seen at the carrier); the client's retry " +
      'with the same Idempotency-Key gets them. `failed`: no label exists; the key is freed. Only a ' +
      'shipment still in doubt can be settled (docs/runbooks/shipment-in-doubt.md).' +
      audited,
    auth: 'admin',
    params: { id: 'The shipment id (`shp_…`)' },
    body: {
      schema: resolveBody,
      example: {
        outcome: 'created',
        trackingNumbers: ['1ZA1B2C30312345678'],
        reason: 'INC-42 found in UPS history',
      },
    },
    answers: {
      200: {
        description: 'The shipment as settled',
        schema: z.looseObject({ id: z.string(), status: z.string(), account: z.string() }),
        example: { id: 'shp_0123456789abcdef', status: 'created', account: 'ups-main' },
      },
    },
    problems: [
      'ERR_UNAUTHENTICATED',
      'ERR_REQUEST_INVALID',
      'ERR_SHIPMENT_NOT_FOUND',
      'ERR_ACTION_NOT_APPLICABLE',
    ],
  },
  reload: {
    method: 'post',
    path: '/v1/admin/config/reload',
    operationId: 'reloadConfig',
    tag: 'Operations',
    summary: 'Reload the configuration file on every instance',
    description:
      'The file is read and checked whole first; a file that does not pass changes nothing. Keys and ' +
      'credentials change live; anything else is listed in `restartRequired`.' +
      audited,
    auth: 'admin',
    body: { schema: reasonBody, example: { reason: 'rotate the UPS secret' } },
    answers: {
      200: {
        description: 'What each instance did',
        schema: z.looseObject({
          applied: z.array(z.string()),
          restartRequired: z.array(z.string()),
          instances: z.number().int(),
        }),
        example: { applied: ['clients'], restartRequired: [], instances: 2, fleet: [] },
      },
    },
    problems: [...ADMIN_PROBLEMS, 'ERR_CONFIG_RELOAD_REJECTED', 'ERR_ACTION_NOT_APPLICABLE'],
  },
  audit: {
    method: 'get',
    path: '/v1/admin/audit',
    operationId: 'listAudit',
    tag: 'Operations',
    summary: 'The audit log, newest first',
    auth: 'admin',
    query: auditQuery,
    answers: {
      200: {
        description: 'Audit entries',
        schema: z.object({
          entries: z.array(
            z.looseObject({
              id: z.string(),
              at: z.string(),
              admin: z.string(),
              action: z.string(),
              account: z.string().optional(),
              reason: z.string().optional(),
              result: z.looseObject({ ok: z.boolean(), code: z.string().optional() }),
            }),
          ),
        }),
        example: {
          entries: [
            {
              id: '1796000000000-0',
              at: '2026-12-07T04:10:00.000Z',
              admin: 'demo-operator',
              action: 'failover',
              account: 'ups-demo',
              reason: 'INC-42 UPS token endpoint down',
              params: { to: 'fedex-demo' },
              result: { ok: true },
            },
          ],
        },
      },
    },
    problems: ADMIN_PROBLEMS,
  },
} satisfies Record<string, RouteDoc>;

type Compact<T> = { [K in keyof T as undefined extends T[K] ? never : K]: T[K] } & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** zod gives absent optional members as `undefined`; the actions take them as absent. */
function compact<T extends object>(value: T): Compact<T> {
  return Object.fromEntries(Object.entries(value).filter(([, entry]) => entry !== undefined)) as Compact<T>;
}
