/**
 * @module sim/tokens
 * In-memory token bookkeeping for the simulators: access tokens with issue time and expiry,
 * single-use rotating refresh tokens, and token families (everything descended from one consent),
 * which are revoked as a whole when a used refresh token comes back.
 */
import { randomBytes, randomUUID } from 'node:crypto';

export interface TokenFamily {
  readonly id: string;
  readonly clientId: string;
  /** Resource owner for password/auth-code consents; client credentials have none. */
  readonly subject?: string;
  readonly scope?: string;
  revoked: boolean;
  /** Successful refreshes so far (UPS reports it as `refresh_count`). */
  refreshCount: number;
  readonly accessTokens: Set<string>;
  readonly refreshTokens: Set<string>;
}

export interface AccessRecord {
  readonly clientId: string;
  /** Real-clock epoch ms (the carrier skew is applied only to what is put on the wire). */
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  readonly familyId?: string;
  readonly subject?: string;
  readonly scope?: string;
}

interface RefreshRecord {
  readonly familyId: string;
  readonly issuedAtMs: number;
  readonly expiresAtMs: number;
  usedAtMs?: number;
}

export type AccessCheck =
  { ok: true; record: AccessRecord } | { ok: false; reason: 'unknown' | 'expired' | 'premature' | 'revoked' };

export type RefreshRedemption =
  | { ok: true; family: TokenFamily }
  | { ok: false; reason: 'unknown' | 'expired' | 'revoked' | 'wrong_client' | 'precondition' }
  | { ok: false; reason: 'reused'; familyNewlyRevoked: boolean };

/** Above this many access records, issuing prunes expired ones so long benchmarks stay bounded. */
const PRUNE_THRESHOLD = 10_000;

/** 32 random bytes: opaque, unguessable. */
export function opaqueToken(): string {
  return randomBytes(32).toString('base64url');
}

const ISSUED_MEMORY = 10_000;

export class TokenStore {
  readonly #access = new Map<string, AccessRecord>();
  readonly #refresh = new Map<string, RefreshRecord>();
  /** Every value handed out, newest last, so tests can check none of them leaked into logs. */
  readonly #issued: string[] = [];
  readonly #families = new Map<string, TokenFamily>();

  /** The most recent tokens issued (access and refresh), capped so a long benchmark stays bounded. */
  issuedValues(): string[] {
    return [...this.#issued];
  }

  #remember(token: string): void {
    this.#issued.push(token);
    if (this.#issued.length > ISSUED_MEMORY) this.#issued.splice(0, this.#issued.length - ISSUED_MEMORY);
  }

  addAccess(token: string, record: AccessRecord): void {
    this.#remember(token);
    if (this.#access.size >= PRUNE_THRESHOLD) this.#prune(record.issuedAtMs);
    this.#access.set(token, record);
    if (record.familyId) this.#families.get(record.familyId)?.accessTokens.add(token);
  }

  /** `prematureExpirySeconds` models a carrier that drops tokens before the `expires_in` it announced. */
  checkAccess(token: string, nowMs: number, prematureExpirySeconds: number | null): AccessCheck {
    const record = this.#access.get(token);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.familyId && this.#families.get(record.familyId)?.revoked)
      return { ok: false, reason: 'revoked' };
    if (nowMs >= record.expiresAtMs) return { ok: false, reason: 'expired' };
    if (prematureExpirySeconds !== null && nowMs - record.issuedAtMs >= prematureExpirySeconds * 1000) {
      return { ok: false, reason: 'premature' };
    }
    return { ok: true, record };
  }

  createFamily(clientId: string, extra: { subject?: string; scope?: string } = {}): TokenFamily {
    const family: TokenFamily = {
      id: randomUUID(),
      clientId,
      ...extra,
      revoked: false,
      refreshCount: 0,
      accessTokens: new Set(),
      refreshTokens: new Set(),
    };
    this.#families.set(family.id, family);
    return family;
  }

  family(id: string): TokenFamily | undefined {
    return this.#families.get(id);
  }

  mintRefresh(family: TokenFamily, nowMs: number, lifetimeSeconds: number): string {
    const token = opaqueToken();
    this.#remember(token);
    this.#refresh.set(token, {
      familyId: family.id,
      issuedAtMs: nowMs,
      expiresAtMs: nowMs + lifetimeSeconds * 1000,
    });
    family.refreshTokens.add(token);
    return token;
  }

  /**
   * Spend a refresh token. A token that was already spent revokes its whole family (the
   * refresh-token replay defence of RFC 6819 section 5.2.2.3 / OAuth 2.0 Security BCP section 4.14),
   * which is what the gateway must never provoke. A token presented by another client is refused
   * without being spent (RFC 6749 section 6: refresh tokens are bound to their client), and so is a
   * request the caller's `precondition` (e.g. a scope check) turns down: a failed refresh must not
   * cost the client its grant.
   */
  redeemRefresh(
    token: string,
    clientId: string,
    nowMs: number,
    precondition?: (family: TokenFamily) => boolean,
  ): RefreshRedemption {
    const record = this.#refresh.get(token);
    const family = record ? this.#families.get(record.familyId) : undefined;
    if (!record || !family) return { ok: false, reason: 'unknown' };
    if (family.clientId !== clientId) return { ok: false, reason: 'wrong_client' };
    if (record.usedAtMs !== undefined) {
      const familyNewlyRevoked = !family.revoked;
      family.revoked = true;
      return { ok: false, reason: 'reused', familyNewlyRevoked };
    }
    if (family.revoked) return { ok: false, reason: 'revoked' };
    if (nowMs >= record.expiresAtMs) return { ok: false, reason: 'expired' };
    if (precondition && !precondition(family)) return { ok: false, reason: 'precondition' };
    record.usedAtMs = nowMs;
    family.refreshCount += 1;
    return { ok: true, family };
  }

  #prune(nowMs: number): void {
    for (const [token, record] of this.#access) {
      if (record.expiresAtMs > nowMs) continue;
      this.#access.delete(token);
      if (record.familyId) this.#families.get(record.familyId)?.accessTokens.delete(token);
    }
  }
}
