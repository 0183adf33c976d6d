/**
 * @module cli/render
 * The admin API's answers as an operator reads them in a terminal: the health table, one line per
 * override change, the probe's steps, a reload's outcome per instance and the audit log. The
 * shapes are the gateway's own types (src/health, src/admin), so a change there shows up here at
 * compile time.
 */
import type { OverrideAnswer, ReloadOutcome } from '../admin/admin-actions.js';
import type { AuditEntry } from '../admin/audit-log.js';
import type { AccountHealth, ProbeResult } from '../health/health-service.js';
import type { AccountOverride, OverridePart } from '../overrides/overrides.js';
import { duration, instant, table, type Cell, type Colour } from './format.js';

const STATUS_COLOUR: Record<string, Colour> = { healthy: 'green', degraded: 'yellow', down: 'red' };

function until(part: OverridePart | undefined): string {
  return part?.until !== undefined ? ` until ${instant(part.until)}` : '';
}

/** The overrides in force, in a few words each (`failover → fedex-main`, `drained until ...`). */
export function describeOverride(override: AccountOverride): string {
  const parts: string[] = [];
  if (override.failover !== undefined) {
    parts.push(`failover → ${override.failover.to ?? 'next account'}${until(override.parts?.failover)}`);
  }
  if (override.drained) parts.push(`drained${until(override.parts?.drained)}`);
  if (override.breaker !== 'auto')
    parts.push(`breaker forced ${override.breaker}${until(override.parts?.breaker)}`);
  return parts.join(', ');
}

function breakerText(health: AccountHealth): string {
  const state = health.breaker.state.replace('_', '-');
  return health.override.breaker === 'auto' ? state : `${state} (forced ${health.override.breaker})`;
}

/** Failover and drain only: a forced breaker is shown in its own column. */
function routingText(override: AccountOverride): string {
  return describeOverride({ ...override, breaker: 'auto' }) || '-';
}

export function statusTable(reports: readonly AccountHealth[], colour: boolean): string {
  const headers = [
    'ACCOUNT',
    'CARRIER',
    'STATUS',
    'SCORE',
    'BREAKER',
    'TOKEN EXPIRES IN',
    'OVERRIDE',
    'FAILURE',
  ];
  const rows = reports.map((health): (string | Cell)[] => {
    const status: Cell = { text: health.status };
    const statusColour = STATUS_COLOUR[health.status];
    if (statusColour !== undefined) status.colour = statusColour;
    return [
      health.account,
      health.carrier,
      status,
      String(health.score),
      breakerText(health),
      duration(health.token.expiresInSeconds),
      routingText(health.override),
      health.currentFailureClass ?? '-',
    ];
  });
  return table(headers, rows, colour);
}

/** What one account's status adds below its row: a secret rotation under way, the runbook for what fails now. */
export function statusDetail(health: AccountHealth): string {
  const lines: string[] = [];
  const rotation = health.token.secretRotation;
  if (rotation !== undefined) {
    const tried = rotation.nextLastTriedAt !== null ? ` (last tried ${rotation.nextLastTriedAt})` : '';
    lines.push(
      rotation.inUse === 'next'
        ? 'secret rotation: the carrier accepts the next secret; promote it to clientSecret and reload'
        : `secret rotation: next secret ${rotation.next}${tried}; the current secret is in use`,
    );
  }
  if (health.runbook !== null) lines.push(`runbook: ${health.runbook}`);
  return lines.length > 0 ? `\n${lines.join('\n')}\n` : '';
}

export function overrideLine(answer: OverrideAnswer): string {
  const now = describeOverride(answer.override);
  return `${answer.account}: ${now === '' ? 'no override' : now} (version ${answer.version})\n`;
}

export function probeText(account: string, probe: ProbeResult): string {
  const verdict = probe.ok ? 'ok' : `FAILED${probe.failureClass ? ` (${probe.failureClass})` : ''}`;
  const rows = probe.steps.map((step) => [
    step.name,
    step.ok ? 'ok' : 'failed',
    `${Math.round(step.ms)} ms`,
    [step.failureClass, step.detail].filter((text) => text !== undefined && text !== '').join(': ') || '-',
  ]);
  const certificate = probe.certificate
    ? `certificate of ${probe.certificate.host}: valid to ${instant(probe.certificate.validTo)} (${probe.certificate.daysLeft} days left)\n`
    : '';
  const steps = rows.length > 0 ? table(['STEP', 'RESULT', 'TIME', 'DETAIL'], rows, false) : 'no steps ran\n';
  return `probe of ${account} at ${instant(probe.at)}: ${verdict}\n${steps}${certificate}`;
}

const list = (names: readonly string[]) => (names.length > 0 ? names.join(', ') : 'nothing');

export function reloadText(outcome: ReloadOutcome): string {
  const lines = [
    `reloaded on ${outcome.instances} instance${outcome.instances === 1 ? '' : 's'}`,
    `applied: ${list(outcome.applied)}`,
    `restart required: ${list(outcome.restartRequired)}`,
  ];
  const rows = outcome.fleet.map((instance) => [
    instance.instance,
    instance.ok ? 'ok' : `refused ${instance.code ?? ''}`.trim(),
    list(instance.applied),
    instance.ok ? list(instance.restartRequired) : (instance.detail ?? '-'),
  ]);
  return `${lines.join('\n')}\n\n${table(['INSTANCE', 'RESULT', 'APPLIED', 'RESTART REQUIRED / DETAIL'], rows, false)}`;
}

export function auditTable(entries: readonly AuditEntry[]): string {
  if (entries.length === 0) return 'no audit entries\n';
  const rows = entries.map((entry) => [
    instant(entry.at),
    entry.admin,
    entry.action,
    entry.account ?? '-',
    entry.reason ?? '-',
    entry.result.ok ? 'ok' : (entry.result.code ?? 'failed'),
  ]);
  return table(['AT', 'ADMIN', 'ACTION', 'ACCOUNT', 'REASON', 'RESULT'], rows, false);
}
