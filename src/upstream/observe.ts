/**
 * @module upstream/observe
 * What each carrier call says about the account's health, classified once for every caller:
 * the final answer by its status, the carrier's own code and the age of the token it carried
 * (src/core/failures.ts `classifyApiAnswer`), a transport failure or a credential that could not
 * be obtained by its error code. Recording is a few additions in memory (src/health/recorder.ts).
 */
import type { StoredToken } from '../auth/token-store.js';
import type { ConfiguredAccount } from '../core/account.js';
import type { GatewayError } from '../core/errors.js';
import { classifyApiAnswer, classifyError } from '../core/failures.js';
import type { EventSource } from '../health/history.js';
import type { HealthRecorder } from '../health/recorder.js';

export interface AnswerFacts {
  status: number;
  /** The token the answer was given to (token accounts), for premature expiry. */
  token?: StoredToken;
  carrierCode?: string;
  latencyMs?: number;
  /** The carrier refused a token renewed for this very call. */
  freshRejection?: boolean;
  /**
   * The carrier refused a token issued moments ago, on too few paths to blame the token
   * (src/upstream/rejection.ts): the request's own failure, not the account's.
   */
  ownFailure?: boolean;
}

export class UpstreamObserver {
  constructor(private readonly recorder: HealthRecorder | undefined) {}

  answer(account: ConfiguredAccount, source: EventSource, facts: AnswerFacts): void {
    const recorder = this.recorder;
    if (recorder === undefined) return;
    // The usual answer, built without the spreads below: every pass-through call lands here.
    if (facts.status < 400 && !facts.ownFailure) {
      recorder.record(
        facts.latencyMs !== undefined
          ? { account: account.id, source, status: facts.status, latencyMs: facts.latencyMs, ok: true }
          : { account: account.id, source, status: facts.status, ok: true },
      );
      return;
    }
    // A token renewed for this very call and refused at once did not expire: it was refused.
    const token = account.kind === 'oauth' && !facts.freshRejection ? facts.token : undefined;
    const failureClass = facts.ownFailure
      ? 'downstream.client_error'
      : classifyApiAnswer({
          status: facts.status,
          ...(facts.carrierCode !== undefined
            ? { carrierCode: facts.carrierCode, carrierClasses: account.api.errorClasses }
            : {}),
          tokenRejectedStatuses: account.api.tokenRejectedStatuses,
          ...(token !== undefined
            ? {
                tokenAgeMs: Date.now() - token.obtainedAt,
                tokenLifetimeMs: token.expiresAt - token.obtainedAt,
              }
            : {}),
        });
    const base = {
      account: account.id,
      source,
      status: facts.status,
      ...(facts.latencyMs !== undefined ? { latencyMs: facts.latencyMs } : {}),
    };
    // A client's own 4xx (a path the carrier does not have, data it refused, a young token refused
    // on one path) shows the carrier answering as documented: it is not held against the
    // account's health, nor linked to the carrier-outage runbook (issue 12, point 11).
    recorder.record(
      failureClass === null || failureClass === 'downstream.client_error'
        ? { ...base, ok: true }
        : { ...base, ok: false, failureClass, ...(facts.freshRejection ? { freshRejection: true } : {}) },
    );
  }

  /** No answer: a credential that could not be obtained, or a transport failure. */
  failure(account: ConfiguredAccount, source: EventSource, error: GatewayError): void {
    const failureClass = classifyError(error.code, error.detail);
    if (failureClass === 'gateway.internal') return;
    this.recorder?.record({ account: account.id, source, ok: false, failureClass });
  }
}
