/**
 * @module shipments/attempt
 * What happened at each account a shipment was tried on: the walk's log, returned in every
 * answer (`attempts`) and kept with the shipment record.
 */
import type { RuleViolation } from '../core/shipment-rules.js';

export type AttemptOutcome =
  | 'created'
  | 'drained'
  | 'failed_over'
  | 'breaker_open'
  | 'not_supported'
  | 'token_unavailable'
  | 'token_rejected'
  | 'unreachable'
  | 'throttled'
  | 'rejected'
  | 'outcome_unknown';

export interface Attempt {
  account: string;
  outcome: AttemptOutcome;
  failure?: {
    code: string;
    carrierCode?: string;
    upstreamStatus?: number;
    /** Why the account cannot take the shipment (its carrier's lane table). */
    reason?: string;
    /** The carrier's rules the shipment breaks on this lane (src/core/shipment-rules.ts). */
    violations?: RuleViolation[];
  };
}
