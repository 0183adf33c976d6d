/**
 * @module alerts/events
 * The rules fed by events on the request paths rather than by the health report: failover
 * (from a created shipment's attempts) and a client key used from a new network (the network an
 * address belongs to is computed here). The breaker's rule is in alert-rules.ts, since the
 * periodic run checks it too.
 */
import { isIP } from 'node:net';

import { classOfCause, type Verdict } from './rules.js';
import { RUNBOOKS, type FailureClass } from '../core/failure-classes.js';

/** The fields of a shipment attempt the failover rule reads (src/shipments/shipment-service.ts `Attempt`). */
export interface ShipmentAttempt {
  account: string;
  outcome: string;
  failure?: { code: string };
}

/** Outcomes that mean "this account is failing"; drained and unsupported accounts are routing, not incidents. */
export const FAILOVER_OUTCOMES = new Set([
  'breaker_open',
  'token_unavailable',
  'token_rejected',
  'unreachable',
  'throttled',
]);

const OUTCOME_CLASSES: Record<string, FailureClass> = {
  token_rejected: 'authorization.rejected',
  unreachable: 'transport.connect',
  throttled: 'downstream.throttled',
};

export function failoverVerdict(from: ShipmentAttempt, to: string): Verdict {
  const code = from.failure?.code ?? from.outcome;
  // The code says more than the outcome where it names a class (a 403 is a scope, not a token).
  const byCause = classOfCause(code);
  const failureClass = byCause !== 'gateway.internal' ? byCause : (OUTCOME_CLASSES[from.outcome] ?? byCause);
  return {
    active: true,
    severity: 'warning',
    title: `Shipments fail over from ${from.account} to ${to}`,
    text: `${from.account} was skipped (${from.outcome}: ${code}); labels are being made on ${to}.`,
    runbook: RUNBOOKS[failureClass],
  };
}

export function failoverEndVerdict(account: string): Verdict {
  return {
    active: false,
    title: `Shipments land on ${account} again`,
    text: `Failover from ${account} has ended.`,
    runbook: 'carrier-api-outage',
  };
}

export function newNetworkVerdict(client: string, network: string): Verdict {
  return {
    active: true,
    severity: 'warning',
    title: `Client ${client} used its API key from a new network`,
    text: `First request from ${network}. If this is not the client's own infrastructure, the key may have leaked: rotate it.`,
    runbook: 'client-key-new-network',
  };
}

/** The in-doubt resolver gave a shipment up: a label may exist at the carrier that nobody knows of. */
export function shipmentInDoubtVerdict(
  account: string,
  shipmentId: string,
  reference: string | undefined,
): Verdict {
  return {
    active: true,
    severity: 'critical',
    title: `${account}: a shipment's label outcome could not be resolved`,
    text:
      `Shipment ${shipmentId} (reference ${reference ?? 'none'}) may or may not have a label at ${account}. ` +
      'Check at the carrier, then run carrier-gateway shipments resolve with --created or --failed.',
    runbook: 'shipment-in-doubt',
  };
}

/**
 * The network an address belongs to for the new-network rule: its /24 (IPv4, including
 * IPv4-mapped IPv6) or /64 (IPv6), in canonical form; null for anything that is not an address.
 */
export function networkOf(address: string | undefined): string | null {
  if (address === undefined) return null;
  let value = address.trim();
  const zone = value.indexOf('%');
  if (zone !== -1) value = value.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(value);
  if (mapped) value = mapped[1]!;
  const family = isIP(value);
  if (family === 4) {
    const [a, b, c] = value.split('.');
    return `${Number(a)}.${Number(b)}.${Number(c)}.0/24`;
  }
  if (family !== 6) return null;
  const groups = expandIPv6(value);
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  let value = address;
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(value);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    value = `${value.slice(0, dotted.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = value.split('::');
  const start = head === '' ? [] : head.split(':');
  if (tail === undefined) return start;
  const end = tail === '' ? [] : tail.split(':');
  return [...start, ...Array<string>(8 - start.length - end.length).fill('0'), ...end];
}
