/**
 * @module auth/token-status
 * What the token engine says about an account's credentials, and the interface every caller
 * uses to obtain them (tokens or static keys alike). Types only: the manager, the dependent
 * tokens and static credentials implement or report them.
 */
import type { GatewayErrorCode } from '../core/errors.js';
import type { SecretRotationStatus } from './secret-rotation.js';
import type { AccountSharedState, StoredToken, TokenRequestCounts } from './token-store.js';

export type AccountAuthState =
  | 'no_token'
  | 'ok'
  | 'refreshing'
  | 'cooldown'
  | 'failing'
  | 'refresh_outcome_unknown'
  | 'reauthorization_required'
  | 'redis_unavailable'
  /** A static-credential account whose credentials the carrier rejected. */
  | 'credentials_rejected';

export interface TokenStatus {
  account: string;
  carrier: string;
  state: AccountAuthState;
  store: 'shared' | 'embedded' | 'local-fallback' | 'static';
  token: { generation: number; expiresInSeconds: number; obtainedAt: string; sharedStore: boolean } | null;
  lastRefresh: {
    at: string;
    outcome: 'success' | 'failure';
    latencyMs: number;
    code?: GatewayErrorCode;
    carrierCode?: string;
  } | null;
  tokenRequests: TokenRequestCounts | null;
  clockSkewMs: number | null;
  prematureRejections: number;
  /** Static-credential accounts: how often the carrier rejected the credentials. */
  credentialRejections?: number;
  lastCredentialRejectionAt?: string | null;
  cooldownUntil: string | null;
  reauthorizationReason: string | null;
  /** With a `nextClientSecret` configured: which secret the carrier accepts (never a secret). */
  secretRotation?: SecretRotationStatus;
  /** Second tokens some API paths need (USPS payment authorization): state and lifetime, never the value. */
  dependentTokens?: DependentTokenStatus[];
  /**
   * In `reauthorization_required`, for accounts the gateway can onboard: where an operator starts
   * the authorization-code flow again (admin key required).
   */
  authorizeUrl?: string;
}

export interface DependentTokenStatus {
  name: string;
  header: string;
  /** False when the account lacks the configuration block the request needs. */
  configured: boolean;
  state: string;
  /** A live token is held (in this process). */
  present: boolean;
  /** Never the value. */
  token: { generation: number; expiresInSeconds: number; obtainedAt: string } | null;
  lastRefresh: { at: string; outcome: 'success' | 'failure'; code?: string } | null;
}

/** What a status reads from the shared store besides the account's state. */
export interface StatusReads {
  /** The hour's token request counts (default true); without them `tokenRequests` is null. */
  requestCounts?: boolean;
  /** The fleet-shared state, when the caller read it for many accounts at once (`readStates`). */
  shared?: AccountSharedState;
}

/** What the proxy and the routes need from an account's credentials, tokens or static. */
export interface AccountCredentials {
  /** The hot path: a fresh credential from memory, or undefined. No I/O. */
  peek(): StoredToken | undefined;
  getToken(): Promise<StoredToken>;
  /** The carrier rejected this credential. */
  invalidate(accessToken: string): Promise<StoredToken>;
  onRemoteUpdate(generation: number): void;
  whenIdle(): Promise<void>;
  status(read?: StatusReads): Promise<TokenStatus>;
  stop(): void;
}

/** One token request, as health and metrics see it: never the token. */
export interface TokenRequestEvent {
  account: string;
  ok: boolean;
  latencyMs: number;
  code?: GatewayErrorCode;
  detail?: string;
}
