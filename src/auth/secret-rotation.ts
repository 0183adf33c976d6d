/**
 * @module auth/secret-rotation
 * Client-secret rotation without downtime. Carriers let a developer generate a new secret in
 * their portal while the old one still works for a while; an account may then list both
 * (`credentials.clientSecret` and `credentials.nextClientSecret`). Each token request tries the
 * next secret first; while the carrier rejects it (the new secret is not active yet, or was
 * mistyped) the same request falls back to the current one, and the next one is tried again at
 * most every `retryNextMs` so a rejected secret does not double the token traffic. Once the next
 * secret is accepted it is the one in use, and the status says so: that is the operator's cue to
 * promote it to `clientSecret` and drop the old one.
 *
 * The state is per instance and per value of the next secret: a reload that brings a different
 * next secret starts over as untried.
 */
import { createHash } from 'node:crypto';

import { isGatewayError } from '../core/errors.js';

export type NextSecretState = 'untried' | 'rejected' | 'accepted';

/** What operators see (token status, health): which secret works, never a secret. */
export interface SecretRotationStatus {
  inUse: 'current' | 'next';
  next: NextSecretState;
  nextLastTriedAt: string | null;
}

export interface SecretPair {
  current: string | undefined;
  next: string | undefined;
}

export const RETRY_NEXT_SECRET_MS = 5 * 60_000;

/** The carrier refused the client's authentication: the secret is wrong (or not active yet). */
export function rejectsClientSecret(error: unknown): boolean {
  return isGatewayError(error) && error.code === 'ERR_TOKEN_INVALID_CLIENT';
}

const fingerprint = (secret: string) => createHash('sha256').update(secret).digest('base64url');

export class SecretRotation {
  #nextFingerprint: string | null = null;
  #state: NextSecretState = 'untried';
  #lastTriedAt: number | null = null;

  constructor(private readonly retryNextMs = RETRY_NEXT_SECRET_MS) {}

  /** Forgets what was learnt about an earlier next secret when the configured one changes. */
  #track(next: string | undefined): void {
    const print = next === undefined ? null : fingerprint(next);
    if (print === this.#nextFingerprint) return;
    this.#nextFingerprint = print;
    this.#state = 'untried';
    this.#lastTriedAt = null;
  }

  /** Whether this request should offer the next secret first. */
  #shouldTryNext(now: number): boolean {
    if (this.#nextFingerprint === null) return false;
    if (this.#state !== 'rejected') return true;
    return this.#lastTriedAt === null || now - this.#lastTriedAt >= this.retryNextMs;
  }

  /**
   * The secret for a request that must not be repeated (an authorization-code exchange: the code
   * is single-use), and for probes: the next one only once the carrier has accepted it.
   */
  inUse(secrets: SecretPair): string | undefined {
    this.#track(secrets.next);
    return this.#state === 'accepted' ? secrets.next : secrets.current;
  }

  /**
   * Sends a token request with the secret to use, trying the next one first when it is due and
   * falling back to the current one when the carrier rejects it. `send` is called once or twice;
   * any failure other than a rejected next secret is the request's outcome.
   */
  async exchange<T>(
    secrets: SecretPair,
    now: () => number,
    send: (clientSecret: string | undefined) => Promise<T>,
    onNextRejected?: () => void,
  ): Promise<T> {
    this.#track(secrets.next);
    if (secrets.next !== undefined && this.#shouldTryNext(now())) {
      this.#lastTriedAt = now();
      try {
        const result = await send(secrets.next);
        this.#state = 'accepted';
        return result;
      } catch (error) {
        if (!rejectsClientSecret(error) || secrets.current === undefined) throw error;
        this.#state = 'rejected';
        onNextRejected?.();
      }
      return send(secrets.current);
    }
    return send(secrets.current);
  }

  /** Undefined when no next secret is configured. */
  status(secrets: SecretPair): SecretRotationStatus | undefined {
    this.#track(secrets.next);
    if (secrets.next === undefined) return undefined;
    return {
      inUse: this.#state === 'accepted' ? 'next' : 'current',
      next: this.#state,
      nextLastTriedAt: this.#lastTriedAt === null ? null : new Date(this.#lastTriedAt).toISOString(),
    };
  }
}
