/**
 * @module test/support/gateway-client
 * What a shipping app or an operator sends to a gateway in tests: one JSON call with a bearer key
 * (`callGateway`), and `POST /v1/shipments` with an idempotency key (`postShipment`). Answers
 * come back with their status, headers, text and parsed JSON body; `Problem` and `AdminAnswer`
 * type the bodies tests read.
 */
import { randomUUID } from 'node:crypto';

import type { AuditEntry } from '../../src/admin/audit-log.js';
import type { ProbeResult } from '../../src/health/health-service.js';
import type { AccountOverride } from '../../src/overrides/overrides.js';
import { eventually } from './eventually.js';
import { SHIPMENT } from './shipments.js';

type Target = string | { url: string };

/** A gateway problem+json body (RFC 9457 with the stable `code`), as a client reads it. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail?: string;
  account?: string;
  carrierCode?: string;
  upstreamStatus?: number;
  retryAfterSeconds?: number;
  /** Each bad field of a refused body or query. */
  errors?: { field: string; message: string }[];
}

/** What the admin API answers, success or problem (one loose shape for assertions). */
export interface AdminAnswer extends Partial<Omit<Problem, 'status'>> {
  override?: AccountOverride;
  version?: number;
  token?: { generation: number; expiresAt: string };
  probe?: ProbeResult;
  entries?: AuditEntry[];
  lastProbe?: ProbeResult | null;
  purged?: boolean;
  attempts?: { account: string; outcome: string; failure?: { code: string } }[];
}

export interface GatewayReply<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body when it is JSON (problem+json included); `{}` when empty. */
  body: T;
}

export interface GatewayCall {
  method?: string;
  /** Sent as `authorization: Bearer <key>`. */
  key?: string;
  /** An object is sent as JSON; a string as is. */
  body?: unknown;
  headers?: Record<string, string>;
}

export async function callGateway<T = Record<string, unknown>>(
  gateway: Target,
  path: string,
  call: GatewayCall = {},
): Promise<GatewayReply<T>> {
  const headers: Record<string, string> = {
    ...(call.key !== undefined ? { authorization: `Bearer ${call.key}` } : {}),
    ...(call.body !== undefined ? { 'content-type': 'application/json' } : {}),
    ...call.headers,
  };
  const url = typeof gateway === 'string' ? gateway : gateway.url;
  const response = await fetch(`${url}${path}`, {
    method: call.method ?? 'GET',
    headers,
    ...(call.body !== undefined
      ? { body: typeof call.body === 'string' ? call.body : JSON.stringify(call.body) }
      : {}),
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json');
  return {
    status: response.status,
    headers: response.headers,
    text,
    body: (text !== '' && json ? JSON.parse(text) : {}) as T,
  };
}

export interface ShipmentAnswer extends GatewayReply {
  /** `X-Carrier-Account`: the account that made the label. */
  account: string | null;
  /** `X-Failover-From`: the first account tried, when another one made the label. */
  failoverFrom: string | null;
}

export interface PostShipmentOptions {
  /** Default SHIPMENT (test/support/shipments.ts); a string is sent as is. */
  shipment?: object | string;
  /** The accounts to try, in order (added to the shipment). */
  accounts?: string[];
  /** Default a new UUID; `null` sends none. */
  idempotencyKey?: string | null;
  headers?: Record<string, string>;
}

/** `POST /v1/shipments` as a shipping app sends it. */
export async function postShipment(
  gateway: Target,
  clientKey: string,
  options: PostShipmentOptions = {},
): Promise<ShipmentAnswer> {
  const shipment = options.shipment ?? SHIPMENT;
  const key = options.idempotencyKey === undefined ? randomUUID() : options.idempotencyKey;
  const reply = await callGateway(gateway, '/v1/shipments', {
    method: 'POST',
    key: clientKey,
    body:
      typeof shipment === 'string' || options.accounts === undefined
        ? shipment
        : { ...shipment, accounts: options.accounts },
    headers: { ...(key !== null ? { 'idempotency-key': key } : {}), ...options.headers },
  });
  // Every answer of this endpoint is JSON, a label or a problem.
  if (!(reply.headers.get('content-type') ?? '').includes('json')) {
    throw new Error(`POST /v1/shipments answered ${reply.status} without JSON: ${reply.text}`);
  }
  return {
    ...reply,
    account: reply.headers.get('x-carrier-account'),
    failoverFrom: reply.headers.get('x-failover-from'),
  };
}

/**
 * `GET /v1/shipments/{id}` until the shipment has `status` (the in-doubt resolver works in the
 * background); the answer that had it.
 */
export function shipmentReaches(
  gateway: Target,
  clientKey: string,
  id: string,
  status: string,
  timeoutMs = 10_000,
): Promise<GatewayReply> {
  let last: unknown;
  return eventually(
    async () => {
      const got = await callGateway(gateway, `/v1/shipments/${id}`, { key: clientKey });
      last = got.body['status'];
      return got.body['status'] === status && got;
    },
    { timeoutMs, intervalMs: 100, what: () => `shipment ${id} ${status} (last ${String(last)})` },
  );
}
