/**
 * @module http/openapi-schemas
 * zod schemas of the gateway's answers that no route parses itself (requests are documented with
 * the very schemas the routes validate with; see the route files). They describe the members a
 * client may rely on and leave the rest open (`looseObject`), so an added member is not a break.
 */
import { z } from 'zod';

import { ERROR_CODES } from '../core/errors.js';
import { SHIPMENT_STATUSES } from '../shipments/shipment-store.js';

const isoTime = z.string().describe('ISO 8601 time');

/** RFC 9457 problem details with the gateway's stable `code`. */
export const problemSchema = z.looseObject({
  type: z.string().describe('Where the code is explained: /docs/errors#<code>'),
  title: z.string(),
  status: z.number().int(),
  code: z.enum(ERROR_CODES as [string, ...string[]]),
  detail: z.string().optional(),
  instance: z.string().optional().describe('urn:request-id:<X-Request-Id> of the request'),
  account: z.string().optional(),
  carrierCode: z.string().optional().describe("The carrier's own error code (never its message)"),
  upstreamStatus: z.number().int().optional(),
  retryAfterSeconds: z.number().int().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  attempts: z.array(z.looseObject({ account: z.string(), outcome: z.string() })).optional(),
  reason: z
    .string()
    .optional()
    .describe(
      'Why, as a stable code: ERR_VOID_REFUSED too_late | refused; ERR_TRACKING_UNAVAILABLE its cause',
    ),
  carrierReason: z
    .string()
    .max(120)
    .optional()
    .describe(
      "ERR_VOID_REFUSED: the carrier's message on one line, addresses and ids other than the shipment's own removed",
    ),
});

export const PROBLEM_EXAMPLE = {
  type: '/docs/errors#ERR_UNAUTHENTICATED',
  title: 'Client API key missing or wrong',
  status: 401,
  code: 'ERR_UNAUTHENTICATED',
  instance: 'urn:request-id:4bf92f3577b34da6a3ce929d0e0e4736',
};

export const overrideSchema = z.looseObject({
  drained: z.boolean(),
  breaker: z.enum(['auto', 'open', 'closed']),
  failover: z.object({ to: z.string().optional() }).optional(),
  reason: z.string().optional(),
});

export const breakerSchema = z.looseObject({
  state: z.enum(['closed', 'open', 'half_open']),
  since: z.number().describe('epoch ms of the transition'),
  cause: z.string(),
});

export const tokenStatusSchema = z.looseObject({
  account: z.string(),
  carrier: z.string(),
  state: z.string().describe('ok, no_token, refreshing, cooldown, failing, reauthorization_required, ...'),
  store: z.enum(['shared', 'embedded', 'local-fallback', 'static']),
  token: z
    .looseObject({ generation: z.number().int(), expiresInSeconds: z.number(), obtainedAt: isoTime })
    .nullable(),
  clockSkewMs: z.number().nullable(),
  cooldownUntil: isoTime.nullable(),
  breaker: breakerSchema.extend({ generation: z.number().int() }).optional(),
  override: overrideSchema.optional(),
});

export const TOKEN_STATUS_EXAMPLE = {
  account: 'ups-demo',
  carrier: 'ups',
  state: 'ok',
  store: 'embedded',
  token: {
    generation: 1,
    expiresInSeconds: 14_211,
    obtainedAt: '2026-12-07T04:00:00.000Z',
    sharedStore: false,
  },
  lastRefresh: { at: '2026-12-07T04:00:00.000Z', outcome: 'success', latencyMs: 12 },
  tokenRequests: null,
  clockSkewMs: 3,
  prematureRejections: 0,
  cooldownUntil: null,
  reauthorizationReason: null,
  breaker: { state: 'closed', since: 1_796_000_000_000, cause: 'start', generation: 0 },
  override: { drained: false, breaker: 'auto' },
};

export const accountHealthSchema = z.looseObject({
  account: z.string(),
  carrier: z.string(),
  status: z.enum(['healthy', 'degraded', 'down']),
  score: z.number().min(0).max(100),
  inputs: z.array(z.looseObject({})),
  breaker: breakerSchema.extend({ generation: z.number().int() }),
  override: overrideSchema,
  token: z.looseObject({ state: z.string(), expiresInSeconds: z.number().nullable() }),
  failures: z.looseObject({}),
  currentFailureClass: z.string().nullable(),
  runbook: z.string().nullable(),
  lastProbe: z.looseObject({}).nullable(),
  trend: z.array(
    z.looseObject({
      at: isoTime,
      successRate: z.number().nullable(),
      refreshLatencyP95Ms: z.number().nullable(),
      score: z.number().nullable(),
    }),
  ),
});

export const ACCOUNT_HEALTH_EXAMPLE = {
  account: 'ups-demo',
  carrier: 'ups',
  status: 'healthy',
  score: 100,
  inputs: [],
  breaker: { state: 'closed', since: 1_796_000_000_000, cause: 'start', generation: 0 },
  override: { drained: false, breaker: 'auto' },
  token: {
    state: 'ok',
    expiresInSeconds: 14_211,
    lastRefresh: null,
    refreshLatencyMs: { p50: 12, p95: 12 },
    refreshesLastHour: 1,
    tokenRequests: null,
  },
  failures: { '5m': {}, '1h': {}, '24h': {} },
  currentFailureClass: null,
  runbook: null,
  lastProbe: null,
  secret: null,
  trend: [{ at: '2026-12-07T03:45:00.000Z', successRate: 1, refreshLatencyP95Ms: 12, score: 100 }],
};

export const readinessSchema = z.looseObject({
  status: z.enum(['ready', 'degraded', 'draining', 'not_ready']),
  mode: z.enum(['shared', 'embedded']),
  redis: z.enum(['up', 'down', 'not configured']),
  capabilities: z.record(z.string(), z.looseObject({ state: z.string(), detail: z.string().optional() })),
});

export const READINESS_EXAMPLE = {
  status: 'ready',
  mode: 'embedded',
  redis: 'not configured',
  capabilities: {
    passThrough: { state: 'ready' },
    shipments: { state: 'ready' },
    onboarding: { state: 'not_configured' },
  },
};

/** What an override action (failover, restore, drain, breaker) answers. */
export const overrideAnswerSchema = z.looseObject({
  account: z.string(),
  override: overrideSchema,
  version: z.number().int(),
});

export const OVERRIDE_ANSWER_EXAMPLE = {
  account: 'ups-demo',
  override: {
    drained: false,
    breaker: 'auto',
    failover: { to: 'fedex-demo' },
    reason: 'INC-42 UPS token endpoint down',
    by: 'demo-operator',
  },
  version: 1,
};

/** A shipment as `GET /v1/shipments/{id}` shows it (src/shipments/shipment-view.ts). */
export const shipmentViewSchema = z.looseObject({
  id: z.string(),
  status: z.enum(SHIPMENT_STATUSES),
  account: z.string(),
  carrier: z.string(),
  reference: z.string().optional(),
  trackingNumbers: z.array(z.string()),
  labels: z.array(z.object({ format: z.string(), data: z.string() })).optional(),
  labelsExpired: z.literal(true).optional(),
  attempts: z.array(z.looseObject({ account: z.string(), outcome: z.string() })),
  createdAt: z.string(),
  voidedAt: z.string().optional(),
  voidedBy: z.string().optional(),
});

export const SHIPMENT_VIEW_EXAMPLE = {
  id: 'shp_0f8e2d5c9b7a4e1f8c3b2a1d0e9f8c7b',
  status: 'created',
  account: 'ups-demo',
  carrier: 'ups',
  reference: 'order-1042',
  trackingNumbers: ['1Z12345E0205271688'],
  labels: [{ format: 'GIF', data: 'R0lGODlhAQABAAAAACw=' }],
  attempts: [{ account: 'ups-demo', outcome: 'created' }],
  createdAt: '2026-12-07T04:10:00.000Z',
};
