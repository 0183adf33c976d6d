/**
 * @module alerts/rules
 * What each alert means, as pure functions of what the gateway already knows: an account's
 * health report (src/health/health-service.ts), its minute buckets from the history, the
 * breaker's state, a shipment's attempts. Each rule answers with a verdict: `active` (an incident
 * is going on), `clear` (it is over: recovery) or `null` (nothing can be said now, so whatever is
 * open stays open; this is how rules hold their state between thresholds and how an instance
 * that has not measured something, a clock skew say, keeps out of the decision).
 *
 * Thresholds (the last two rules are fed by events, in alert-events.ts):
 *
 * | rule                     | active when                                                          | clear when                         |
 * | ------------------------ | -------------------------------------------------------------------- | ---------------------------------- |
 * | `breaker_open`           | the shared breaker is open or half-open                              | closed                             |
 * | `status`                 | status is `degraded` or `down`                                       | `healthy`                          |
 * | `reauthorization_required` | the token state says so                                            | any other state but `redis_unavailable` |
 * | `secret_expiring`        | the client secret expires within `expiryWarningDays`                 | later than that                    |
 * | `certificate_expiring`   | the carrier's TLS certificate (last probe) expires within that       | later than that                    |
 * | `clock_skew`             | the skew measured at the last refresh is over `clockSkewThresholdMs` | under it                           |
 * | `token_quota`            | token requests this hour over `tokenQuotaThreshold` of the quota     | under it                           |
 * | `refresh_spike`          | ≥ 6 refreshes in 15 min and ≥ 3 × the 15-min average of the 6 h before | otherwise                        |
 * | `fresh_token_rejections` | ≥ 3 fresh tokens rejected in 15 min, more than the 15 min before     | none in 15 min                     |
 * | `scope_failures`         | in 5 min: a scope refusal at the token endpoint, or ≥ 3 at the API   | none in 15 min                     |
 * | `failover`               | a shipment skipped the account for a failure and landed elsewhere    | a shipment lands on it again       |
 * | `manual_failover`        | an operator failed the account over (admin API, any instance)        | restored, or its TTL lapsed        |
 * | `client_new_network`     | a client key is used from a /24 (IPv4) or /64 (IPv6) it never used   | (one-off, never resolved)          |
 */
import type { GatewayConfig } from '../../config/schema.js';
import type { BreakerState } from '../breaker/auth-breaker.js';
import type { GatewayErrorCode } from '../core/errors.js';
import type { AccountHealth } from '../health/health-service.js';
import type { Bucket } from '../health/history.js';
import { classifyError } from '../core/failures.js';
import { RUNBOOK_BASE, RUNBOOKS, type FailureClass } from '../core/failure-classes.js';

/** The parsed `alerts:` block of the configuration (defaults applied). */
export type AlertsConfig = NonNullable<GatewayConfig['alerts']>;

export const ALERT_RULES = [
  'breaker_open',
  'status',
  'failover',
  'manual_failover',
  'reauthorization_required',
  'secret_expiring',
  'certificate_expiring',
  'clock_skew',
  'refresh_spike',
  'fresh_token_rejections',
  'scope_failures',
  'token_quota',
  'client_new_network',
  'shipment_in_doubt',
] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

export type AlertSeverity = 'critical' | 'warning' | 'info';

/** One alert as every sink receives it (the JSON sink posts exactly this object). */
export interface Alert {
  rule: AlertRule;
  account?: string;
  /** `client_new_network`: the client's id (never its key). */
  client?: string;
  severity: AlertSeverity;
  title: string;
  text: string;
  /** A URL under `runbookBaseUrl`, or the runbook's path in the repository. */
  runbook: string;
  /** ISO time the alert was raised. */
  at: string;
  /** Shared by an incident's alert and its recovery. */
  incidentId: string;
  resolved: boolean;
}

/** A runbook page, docs/runbooks/<name>.md: the taxonomy's names, and `client-key-new-network`. */
export type RunbookName = string;

export type Verdict =
  | { active: true; severity: AlertSeverity; title: string; text: string; runbook: RunbookName }
  | { active: false; title: string; text: string; runbook: RunbookName }
  | null;

export function runbookUrl(name: RunbookName, baseUrl?: string): string {
  if (baseUrl === undefined) return `${RUNBOOK_BASE}${name}.md`;
  return new URL(`${name}.md`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`).toString();
}

// ---------------------------------------------------------------------------------------------
// Rules over the health report and the history (evaluated periodically)

export interface RuleContext {
  report: AccountHealth;
  /** The account's minute buckets up to `minute`, at least BASELINE_MINUTES back. */
  buckets: Bucket[];
  minute: number;
  config: AlertsConfig;
}

export const WINDOW_MINUTES = 15;
export const BASELINE_MINUTES = 6 * 60;
export const SPIKE_MIN_REFRESHES = 6;
export const SPIKE_FACTOR = 3;
export const FRESH_REJECTIONS_MIN = 3;
export const API_SCOPE_FAILURES_MIN = 3;

const TOKEN_SCOPE_CLASSES: FailureClass[] = [
  'token_endpoint.invalid_scope',
  'token_endpoint.unauthorized_client',
];
const API_SCOPE_CLASSES: FailureClass[] = ['authorization.scope', 'authorization.audience'];

const between = (buckets: Bucket[], fromMinute: number, toMinute: number) =>
  buckets.filter((bucket) => bucket.minute > fromMinute && bucket.minute <= toMinute);
const sum = (buckets: Bucket[], pick: (bucket: Bucket) => number) =>
  buckets.reduce((total, bucket) => total + pick(bucket), 0);
const classCount = (classes: Partial<Record<FailureClass, number>>, names: FailureClass[]) =>
  names.reduce((total, name) => total + (classes[name] ?? 0), 0);

function input(report: AccountHealth, name: string): number | null {
  const value = report.inputs.find((row) => row.name === name)?.value;
  return typeof value === 'number' ? value : null;
}

/** The runbook for the score input that costs the most, when no failure class says better. */
const RUNBOOK_BY_INPUT: Record<string, RunbookName> = {
  tokenSuccessRate: 'token-endpoint-down',
  refreshLatencyP95Ms: 'token-endpoint-down',
  freshTokenRejections: 'invalid-client',
  lastProbe: 'carrier-api-outage',
  breaker: 'token-endpoint-down',
  reauthorizationRequired: 'reauthorization',
  secretExpiresInDays: 'invalid-client',
  certificateExpiresInDays: 'token-endpoint-down',
  clockSkewMs: 'clock-skew',
  tokenQuotaUse: 'throttling',
};

export function breakerVerdict(account: string, breaker: BreakerState): Verdict {
  const runbook = RUNBOOKS[classOfCause(breaker.cause)];
  if (breaker.state === 'closed') {
    return {
      active: false,
      title: `${account}: auth breaker closed`,
      text: `Authentication works again (${breaker.cause}); shipments go to ${account} again.`,
      runbook,
    };
  }
  const retry =
    breaker.openUntil !== undefined ? `; next trial after ${new Date(breaker.openUntil).toISOString()}` : '';
  return {
    active: true,
    severity: 'critical',
    title: `${account}: auth breaker open`,
    text: `Authentication keeps failing (${breaker.cause}); shipments skip ${account} and fail over${retry}.`,
    runbook,
  };
}

type PeriodicRule = (account: string, context: RuleContext) => Verdict;

export const PERIODIC_RULES: Partial<Record<AlertRule, PeriodicRule>> = {
  breaker_open: (account, { report }) => breakerVerdict(account, report.breaker),

  status: (account, { report }) => {
    const costly = [...report.inputs].filter((row) => row.penalty > 0).sort((a, b) => b.penalty - a.penalty);
    const runbook: RunbookName = report.currentFailureClass
      ? RUNBOOKS[report.currentFailureClass]
      : (RUNBOOK_BY_INPUT[costly[0]?.name ?? ''] ?? 'carrier-api-outage');
    if (report.status === 'healthy') {
      return { active: false, title: `${account} is healthy again`, text: `Score ${report.score}.`, runbook };
    }
    const why = costly.map((row) => `${row.name} −${row.penalty}`).join(', ');
    return {
      active: true,
      severity: report.status === 'down' ? 'critical' : 'warning',
      title: `${account} is ${report.status} (score ${report.score})`,
      text: `Penalties: ${why || 'none'}${report.currentFailureClass ? `; failing now: ${report.currentFailureClass}` : ''}.`,
      runbook,
    };
  },

  manual_failover: (account, { report }) => {
    const failover = report.override.failover;
    const part = report.override.parts?.failover;
    // Operators act on a runbook; the one for what the account is failing with, if anything.
    const runbook: RunbookName = report.currentFailureClass
      ? RUNBOOKS[report.currentFailureClass]
      : 'carrier-api-outage';
    if (failover === undefined) {
      return {
        active: false,
        title: `${account}: manual failover ended`,
        text: `Shipments for ${account} go to ${account} again.`,
        runbook,
      };
    }
    const target = failover.to ?? 'the next account of each request';
    const who = part !== undefined ? ` by ${part.by}: ${part.reason}` : '';
    const until = part?.until !== undefined ? `; lapses at ${new Date(part.until).toISOString()}` : '';
    return {
      active: true,
      severity: 'warning',
      title: `${account}: shipments manually failed over to ${target}`,
      text: `Manual failover${who}${until}.`,
      runbook,
    };
  },

  reauthorization_required: (account, { report }) => {
    const state = report.token.state;
    if (state === 'redis_unavailable') return null;
    if (state !== 'reauthorization_required') {
      return {
        active: false,
        title: `${account} is authorized again`,
        text: `Token state: ${state}.`,
        runbook: 'reauthorization',
      };
    }
    return {
      active: true,
      severity: 'critical',
      title: `${account} needs re-authorization`,
      text: `The carrier no longer accepts the account's grant, so no token can be refreshed. An operator must authorize it again (GET /v1/accounts/${account}/authorize).`,
      runbook: 'reauthorization',
    };
  },

  secret_expiring: (account, { report, config }) =>
    report.secret === null
      ? null
      : expiryVerdict(
          account,
          'client secret',
          report.secret.expiresAt,
          report.secret.daysLeft,
          config,
          'invalid-client',
        ),

  certificate_expiring: (account, { report, config }) => {
    const certificate = report.lastProbe?.certificate;
    if (!certificate) return null;
    return expiryVerdict(
      account,
      `TLS certificate of ${certificate.host}`,
      certificate.validTo,
      certificate.daysLeft,
      config,
      'token-endpoint-down',
    );
  },

  clock_skew: (account, { report, config }) => {
    const skew = input(report, 'clockSkewMs');
    if (skew === null) return null;
    const threshold = config.clockSkewThresholdMs;
    if (Math.abs(skew) <= threshold) {
      return {
        active: false,
        title: `${account}: clock skew back within ${threshold} ms`,
        text: `Measured ${skew} ms at the last refresh.`,
        runbook: 'clock-skew',
      };
    }
    return {
      active: true,
      severity: 'warning',
      title: `${account}: carrier clock ${skew > 0 ? 'ahead' : 'behind'} by ${Math.abs(skew)} ms`,
      text: `Over the ${threshold} ms threshold; token lifetimes and JWT time checks are at risk. Check this host's NTP.`,
      runbook: 'clock-skew',
    };
  },

  token_quota: (account, { report, config }) => {
    const use = input(report, 'tokenQuotaUse');
    if (use === null) return null;
    const percent = (share: number) => `${Math.round(share * 100)} %`;
    if (use <= config.tokenQuotaThreshold) {
      return {
        active: false,
        title: `${account}: token quota use back under ${percent(config.tokenQuotaThreshold)}`,
        text: `${percent(use)} of the hourly quota used.`,
        runbook: 'throttling',
      };
    }
    return {
      active: true,
      severity: use >= 1 ? 'critical' : 'warning',
      title: `${account}: ${percent(use)} of the hourly token quota used`,
      text: `Over the ${percent(config.tokenQuotaThreshold)} threshold; past the quota the carrier refuses tokens until the hour ends.`,
      runbook: 'throttling',
    };
  },

  refresh_spike: (account, { buckets, minute }) => {
    const recentStart = minute - WINDOW_MINUTES;
    const recent = between(buckets, recentStart, minute);
    const earlier = between(buckets, minute - BASELINE_MINUTES, recentStart);
    const refreshes = sum(recent, (bucket) => bucket.ok.token ?? 0);
    // Averaged over the span the history covers, so a young gateway is not compared with zeros.
    const span = earlier.length > 0 ? recentStart - earlier[0]!.minute + 1 : 0;
    const baseline = span > 0 ? (sum(earlier, (bucket) => bucket.ok.token ?? 0) / span) * WINDOW_MINUTES : 0;
    const premature = sum(recent, (bucket) => bucket.classes['authorization.premature_expiry'] ?? 0);
    if (refreshes < SPIKE_MIN_REFRESHES || refreshes < SPIKE_FACTOR * baseline) {
      return {
        active: false,
        title: `${account}: token refreshes back to normal`,
        text: `${refreshes} refreshes in the last ${WINDOW_MINUTES} minutes.`,
        runbook: 'clock-skew',
      };
    }
    return {
      active: true,
      severity: 'warning',
      title: `${account}: token refreshes spiking (${refreshes} in ${WINDOW_MINUTES} min)`,
      text:
        `About ${baseline.toFixed(1)} per ${WINDOW_MINUTES} minutes before. ` +
        (premature > 0
          ? `${premature} API calls met a token the carrier dropped before its announced expiry (premature expiry).`
          : 'Tokens are being replaced before their announced expiry: look for premature expiry or skew.'),
      runbook: RUNBOOKS['authorization.premature_expiry'],
    };
  },

  fresh_token_rejections: (account, { buckets, minute }) => {
    const recent = sum(between(buckets, minute - WINDOW_MINUTES, minute), (bucket) => bucket.freshRejections);
    const before = sum(
      between(buckets, minute - 2 * WINDOW_MINUTES, minute - WINDOW_MINUTES),
      (bucket) => bucket.freshRejections,
    );
    if (recent === 0) {
      return {
        active: false,
        title: `${account}: fresh tokens accepted again`,
        text: `No freshly issued token rejected in the last ${WINDOW_MINUTES} minutes.`,
        runbook: RUNBOOKS['authorization.rejected'],
      };
    }
    if (recent < FRESH_REJECTIONS_MIN || recent <= before) return null;
    return {
      active: true,
      severity: 'warning',
      title: `${account}: carrier rejecting freshly issued tokens (${recent} in ${WINDOW_MINUTES} min)`,
      text: `${before} in the ${WINDOW_MINUTES} minutes before. The carrier issues tokens it then refuses: revoked credentials, a wrong audience or an account-level block.`,
      runbook: RUNBOOKS['authorization.rejected'],
    };
  },

  scope_failures: (account, { report, buckets, minute }) => {
    const fiveMinutes = report.failures['5m'];
    const atTokenEndpoint = classCount(fiveMinutes, TOKEN_SCOPE_CLASSES);
    const atApi = classCount(fiveMinutes, API_SCOPE_CLASSES);
    if (atTokenEndpoint >= 1 || atApi >= API_SCOPE_FAILURES_MIN) {
      return {
        active: true,
        severity: 'warning',
        title: `${account}: scope or audience refused (configuration drift)`,
        text: `In 5 minutes: ${atTokenEndpoint} at the token endpoint, ${atApi} at the API. The carrier no longer grants what the account is configured for; compare the account's scopes and audience with the carrier's console.`,
        runbook: 'scope-drift',
      };
    }
    const quarter = between(buckets, minute - WINDOW_MINUTES, minute);
    const recent = sum(quarter, (bucket) =>
      classCount(bucket.classes, [...TOKEN_SCOPE_CLASSES, ...API_SCOPE_CLASSES]),
    );
    if (recent > 0) return null;
    return {
      active: false,
      title: `${account}: no scope failures any more`,
      text: `None in the last ${WINDOW_MINUTES} minutes.`,
      runbook: 'scope-drift',
    };
  },
};

function expiryVerdict(
  account: string,
  what: string,
  expiresAt: string,
  daysLeft: number,
  config: AlertsConfig,
  runbook: RunbookName,
): Verdict {
  if (daysLeft >= config.expiryWarningDays) {
    return {
      active: false,
      title: `${account}: ${what} renewed`,
      text: `It now expires ${expiresAt}.`,
      runbook,
    };
  }
  const expired = daysLeft < 0;
  return {
    active: true,
    severity: expired ? 'critical' : 'warning',
    title: expired ? `${account}: ${what} has expired` : `${account}: ${what} expires in ${daysLeft} days`,
    text: `Expiry ${expiresAt} (warning from ${config.expiryWarningDays} days ahead). Renew it at the carrier and update the configuration.`,
    runbook,
  };
}

/** The failure class behind a breaker cause or a skipped attempt's code. */
export function classOfCause(cause: string): FailureClass {
  if (cause === 'fresh_token_rejected') return 'authorization.rejected';
  // A 403 on a label call: the account lacks a permission (src/shipments/shipment-service.ts).
  if (cause === 'authorization_refused') return 'authorization.scope';
  if (cause.startsWith('ERR_')) return classifyError(cause as GatewayErrorCode);
  return 'gateway.internal';
}
