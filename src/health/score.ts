/**
 * @module health/score
 * The health score of an account, 0–100, and its status, from inputs that are all shown next to
 * it so the number explains itself. The formula (README "Health"):
 *
 *   score = 100 − Σ penalties, floored at 0
 *
 * | input                          | penalty                                                   |
 * | ------------------------------ | --------------------------------------------------------- |
 * | token success rate (1 h)       | 40 × (1 − rate), when there were token requests           |
 * | refresh latency p95 (1 h)      | up to 10: linear from the objective to twice the objective |
 * | fresh tokens rejected (1 h)    | 5 each, at most 20                                        |
 * | last probe failed              | 25                                                        |
 * | breaker                        | open 40, half-open 20                                     |
 * | reauthorization required       | 50                                                        |
 * | secret expires within 14 days  | up to 15: linear, 15 when expired                         |
 * | certificate expires in 14 days | up to 15: linear, 15 when expired                         |
 * | clock skew over the threshold  | 10                                                        |
 * | token quota use over 80 %      | 10                                                        |
 *
 * Status: `down` when the breaker is open, reauthorization is required or the score is under
 * 40; `degraded` under 80; `healthy` otherwise.
 */

export type HealthStatus = 'healthy' | 'degraded' | 'down';

export interface ScoreInputs {
  /** Token requests and successes over the last hour (fleet-wide). */
  tokenRequests: number;
  tokenSuccesses: number;
  refreshLatencyP95Ms: number | null;
  refreshLatencyObjectiveMs: number;
  freshRejections: number;
  /** null: no probe has run. */
  lastProbeOk: boolean | null;
  breaker: 'closed' | 'open' | 'half_open';
  reauthorizationRequired: boolean;
  secretExpiresInDays: number | null;
  certificateExpiresInDays: number | null;
  clockSkewMs: number | null;
  clockSkewThresholdMs: number;
  /** Share of the carrier's token quota used this hour, 0–1; null when the carrier has none. */
  tokenQuotaUse: number | null;
}

export interface ScoreInput {
  name: string;
  value: unknown;
  penalty: number;
}

export interface Score {
  score: number;
  status: HealthStatus;
  inputs: ScoreInput[];
}

export const EXPIRY_WARNING_DAYS = 14;

function expiryPenalty(days: number | null): number {
  if (days === null || days >= EXPIRY_WARNING_DAYS) return 0;
  if (days <= 0) return 15;
  return Math.round(15 * (1 - days / EXPIRY_WARNING_DAYS));
}

export function computeScore(inputs: ScoreInputs): Score {
  const rate = inputs.tokenRequests > 0 ? inputs.tokenSuccesses / inputs.tokenRequests : null;
  const p95 = inputs.refreshLatencyP95Ms;
  const objective = inputs.refreshLatencyObjectiveMs;
  const rows: ScoreInput[] = [
    { name: 'tokenSuccessRate', value: rate, penalty: rate === null ? 0 : Math.round(40 * (1 - rate)) },
    {
      name: 'refreshLatencyP95Ms',
      value: p95,
      penalty:
        p95 === null || p95 <= objective ? 0 : Math.round(Math.min(10, (10 * (p95 - objective)) / objective)),
    },
    {
      name: 'freshTokenRejections',
      value: inputs.freshRejections,
      penalty: Math.min(20, 5 * inputs.freshRejections),
    },
    { name: 'lastProbe', value: inputs.lastProbeOk, penalty: inputs.lastProbeOk === false ? 25 : 0 },
    {
      name: 'breaker',
      value: inputs.breaker,
      penalty: inputs.breaker === 'open' ? 40 : inputs.breaker === 'half_open' ? 20 : 0,
    },
    {
      name: 'reauthorizationRequired',
      value: inputs.reauthorizationRequired,
      penalty: inputs.reauthorizationRequired ? 50 : 0,
    },
    {
      name: 'secretExpiresInDays',
      value: inputs.secretExpiresInDays,
      penalty: expiryPenalty(inputs.secretExpiresInDays),
    },
    {
      name: 'certificateExpiresInDays',
      value: inputs.certificateExpiresInDays,
      penalty: expiryPenalty(inputs.certificateExpiresInDays),
    },
    {
      name: 'clockSkewMs',
      value: inputs.clockSkewMs,
      penalty:
        inputs.clockSkewMs !== null && Math.abs(inputs.clockSkewMs) > inputs.clockSkewThresholdMs ? 10 : 0,
    },
    {
      name: 'tokenQuotaUse',
      value: inputs.tokenQuotaUse,
      penalty: inputs.tokenQuotaUse !== null && inputs.tokenQuotaUse > 0.8 ? 10 : 0,
    },
  ];
  const score = Math.max(0, 100 - rows.reduce((sum, row) => sum + row.penalty, 0));
  const status: HealthStatus =
    inputs.breaker === 'open' || inputs.reauthorizationRequired || score < 40
      ? 'down'
      : score < 80
        ? 'degraded'
        : 'healthy';
  return { score, status, inputs: rows };
}
