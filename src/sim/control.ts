/**
 * @module sim/control
 * The `/__sim/*` control API served next to each simulator's carrier endpoints, so the demo and
 * tests that run the gateway in another process can read counters and switch faults over HTTP.
 * Loopback test tooling only: it has no authentication.
 */
import { z } from 'zod';

import { jsonOf, type SimRequest, type SimResponse } from './http.js';
import { READ_FAULT_KINDS, SHIPMENT_FAULT_KINDS, TRACKING_STAGES, type SimulatorHandle } from './types.js';

export const CONTROL_PREFIX = '/__sim/';

/** What the control API needs from the engine beyond the public handle. */
export interface ControlTarget {
  readonly handle: SimulatorHandle;
  readonly supportsRefreshTokens: boolean;
  hasClient(clientId: string): boolean;
  /** Clear `outage` after `ms`: the only way back from 'refuse' for a caller that has no handle. */
  scheduleRestore(ms: number): void;
}

export interface ControlResult {
  response: SimResponse;
  /** Runs once the response has been written (closing the listener before that would eat it). */
  after?: () => Promise<void>;
}

const nonNegativeInt = z.number().int().min(0);

/** `POST /__sim/faults` body: any subset of SimFaults, plus `restoreAfterMs` for timed outages. */
export const faultsPatchSchema = z.strictObject({
  errorInSuccessBody: z.boolean().optional(),
  throttle: z
    .strictObject({ count: nonNegativeInt, retryAfterSeconds: nonNegativeInt.optional() })
    .optional(),
  tokenServerErrors: nonNegativeInt.optional(),
  tokenServerErrorStatus: z.union([z.literal(500), z.literal(503)]).optional(),
  tokenLatencyMs: nonNegativeInt.optional(),
  apiLatencyMs: nonNegativeInt.optional(),
  outage: z.enum(['none', 'refuse', 'reset']).optional(),
  tokenLifetimeSeconds: nonNegativeInt.optional(),
  prematureExpirySeconds: z.number().min(0).nullable().optional(),
  skewSeconds: z.number().int().optional(),
  shipmentFault: z.strictObject({ kind: z.enum(SHIPMENT_FAULT_KINDS), count: nonNegativeInt }).optional(),
  ratesLatencyMs: nonNegativeInt.optional(),
  trackingLatencyMs: nonNegativeInt.optional(),
  ratesFault: z.strictObject({ kind: z.enum(READ_FAULT_KINDS), count: nonNegativeInt }).optional(),
  trackingFault: z.strictObject({ kind: z.enum(READ_FAULT_KINDS), count: nonNegativeInt }).optional(),
  trackingStage: z.enum(TRACKING_STAGES).nullable().optional(),
  restoreAfterMs: z.number().int().positive().optional(),
});

const clientSchema = z.strictObject({ clientId: z.string().min(1), clientSecret: z.string().min(1) });
const rotateSchema = z.strictObject({ clientId: z.string().min(1), newSecret: z.string().min(1) });
const refreshSeedSchema = z.strictObject({ clientId: z.string().min(1) });

function fail(status: number, error: string): ControlResult {
  return { response: { status, body: { error } } };
}

function ok(status: number, body: unknown): ControlResult {
  return { response: { status, body } };
}

function parse<T>(schema: z.ZodType<T>, req: SimRequest): { data: T } | { error: ControlResult } {
  const result = schema.safeParse(jsonOf(req) ?? {});
  if (result.success) return { data: result.data };
  return { error: fail(400, z.prettifyError(result.error)) };
}

const ROUTES: Record<
  string,
  { method: 'GET' | 'POST'; run(req: SimRequest, t: ControlTarget): Promise<ControlResult> | ControlResult }
> = {
  stats: { method: 'GET', run: (_req, t) => ok(200, t.handle.stats()) },
  faults: {
    method: 'POST',
    async run(req, t) {
      const parsed = parse(faultsPatchSchema, req);
      if ('error' in parsed) return parsed.error;
      const { restoreAfterMs, ...patch } = parsed.data;
      if (patch.outage === 'refuse') {
        return {
          response: { status: 202, body: { faults: { ...t.handle.faults, ...patch } } },
          after: async () => {
            await t.handle.setFaults(patch);
            if (restoreAfterMs !== undefined) t.scheduleRestore(restoreAfterMs);
          },
        };
      }
      await t.handle.setFaults(patch);
      if (restoreAfterMs !== undefined && patch.outage === 'reset') t.scheduleRestore(restoreAfterMs);
      return ok(200, { faults: t.handle.faults });
    },
  },
  reset: {
    method: 'POST',
    async run(_req, t) {
      await t.handle.resetFaults();
      t.handle.resetStats();
      return ok(200, { faults: t.handle.faults, stats: t.handle.stats() });
    },
  },
  clients: {
    method: 'POST',
    run(req, t) {
      const parsed = parse(clientSchema, req);
      if ('error' in parsed) return parsed.error;
      t.handle.addClient(parsed.data);
      return ok(201, { clientId: parsed.data.clientId });
    },
  },
  'rotate-secret': {
    method: 'POST',
    run(req, t) {
      const parsed = parse(rotateSchema, req);
      if ('error' in parsed) return parsed.error;
      if (!t.hasClient(parsed.data.clientId)) return fail(404, 'unknown client');
      t.handle.rotateSecret(parsed.data.clientId, parsed.data.newSecret);
      return ok(200, { clientId: parsed.data.clientId });
    },
  },
  'refresh-tokens': {
    method: 'POST',
    run(req, t) {
      const parsed = parse(refreshSeedSchema, req);
      if ('error' in parsed) return parsed.error;
      if (!t.supportsRefreshTokens) return fail(404, 'this carrier issues no refresh tokens');
      if (!t.hasClient(parsed.data.clientId)) return fail(404, 'unknown client');
      return ok(201, { refresh_token: t.handle.issueRefreshToken(parsed.data.clientId) });
    },
  },
};

export async function handleControl(req: SimRequest, target: ControlTarget): Promise<ControlResult> {
  const name = req.path.slice(CONTROL_PREFIX.length);
  if (name === 'faults' && req.method === 'GET') return ok(200, target.handle.faults);
  const route = Object.hasOwn(ROUTES, name) ? ROUTES[name] : undefined;
  if (!route) return fail(404, `no control endpoint ${req.path}`);
  if (req.method !== route.method) return fail(405, `use ${route.method} ${req.path}`);
  return route.run(req, target);
}
