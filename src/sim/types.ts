/**
 * @module sim/types
 * Public contract of the carrier simulators: clients, fault switches, counters and the handle
 * that tests and the demo drive. Shared by every simulator under `carriers/<carrier>/simulator.ts`.
 */
import type { ShipmentLedger } from './ledger.js';

/** A registered API client (UPS/OAuth2 client id + secret, FedEx API key + secret key). */
export interface SimClient {
  clientId: string;
  clientSecret: string;
}

/**
 * Fault switches. The handle exposes the live object, so a test may set a field directly;
 * `outage: 'refuse'` only takes effect through `setFaults`, because it closes the listener.
 */
export interface SimFaults {
  /** Token endpoint answers HTTP 200 with the carrier's error body. Stays on until cleared. */
  errorInSuccessBody: boolean;
  /** The next `count` token requests get 429; `Retry-After` is sent only when `retryAfterSeconds` is set. */
  throttle: { count: number; retryAfterSeconds?: number };
  /** The next N token requests get a 5xx (status from `tokenServerErrorStatus`) with the carrier's 5xx body. */
  tokenServerErrors: number;
  /** Status used by `tokenServerErrors`. Default 503. */
  tokenServerErrorStatus: 500 | 503;
  /** Added before answering token requests, faults included. */
  tokenLatencyMs: number;
  /** Added before answering API requests. */
  apiLatencyMs: number;
  /**
   * refuse: stop listening and drop open connections, so new connections are refused; clearing it
   * listens again on the SAME port. reset: every carrier request has its socket reset (TCP RST);
   * the `/__sim/*` control API keeps answering.
   */
  outage: 'none' | 'refuse' | 'reset';
  /** `expires_in` of access tokens issued from now on. */
  tokenLifetimeSeconds: number;
  /** The API rejects access tokens older than this, although their `expires_in` is longer. */
  prematureExpirySeconds: number | null;
  /** The simulated carrier clock runs this far ahead (negative: behind): Date header, issued_at, JWT iat/nbf/exp. */
  skewSeconds: number;
  /**
   * The next `count` shipment (label) requests meet `kind`, in the carrier's own error shape:
   * - validation_error: 400 about the shipment data, nothing created;
   * - forbidden: 403, the token lacks the scope or permission, nothing created;
   * - server_error_after_create: the label IS created (and counted), then the answer is a 5xx;
   * - hang_after_create: the label IS created, then no answer ever comes (the caller times out);
   * - create-then-5xx: the name issue 15 gives server_error_after_create (the label is created and
   *   the answer lost), accepted as the same fault;
   * - server_error: a 5xx and NO label (the carrier failed before making it): the outcome the
   *   caller sees is as ambiguous, but a lookup finds nothing.
   * The "after create" kinds are the worst case of an ambiguous outcome: only the caller's
   * idempotency keeps a retry from making a second label.
   */
  shipmentFault: { kind: ShipmentFaultKind; count: number };
  /** Added before answering rate requests, on top of `apiLatencyMs` (a slow rating backend). */
  ratesLatencyMs: number;
  /** Added before answering tracking requests, on top of `apiLatencyMs`. */
  trackingLatencyMs: number;
  /** The next `count` rate requests meet `kind` (see READ_FAULT_KINDS). */
  ratesFault: { kind: ReadFaultKind; count: number };
  /** The next `count` tracking requests meet `kind`. */
  trackingFault: { kind: ReadFaultKind; count: number };
  /**
   * Every number tracked is at this stage (in the carrier's own codes); null: each number's own
   * stage, from its last digit (src/sim/journey.ts). Moves a parcel on, or back, for a test.
   */
  trackingStage: TrackingStage | null;
}

export const TRACKING_STAGES = [
  'pre_transit',
  'in_transit',
  'out_for_delivery',
  'delivered',
  'available_for_pickup',
  'returned',
  'exception',
] as const;
export type TrackingStage = (typeof TRACKING_STAGES)[number];

/**
 * Faults of the read APIs (rates, tracking), in the carrier's own error shape:
 * - server_error: a 5xx as the carrier's gateway answers it;
 * - bad_request: a 400 about the request data;
 * - hang: no answer ever comes (the caller's deadline or timeout ends it).
 */
export const READ_FAULT_KINDS = ['none', 'server_error', 'bad_request', 'hang'] as const;
export type ReadFaultKind = (typeof READ_FAULT_KINDS)[number];

export const SHIPMENT_FAULT_KINDS = [
  'none',
  'validation_error',
  'forbidden',
  'server_error_after_create',
  'hang_after_create',
  'create-then-5xx',
  'server_error',
] as const;
export type ShipmentFaultKind = (typeof SHIPMENT_FAULT_KINDS)[number];

export interface SimStats {
  /** Every request to a token or refresh endpoint, faulted ones included. */
  tokenRequests: number;
  /** Same, keyed by the client id the request presented (`(none)` when it presented none). */
  tokenRequestsByClient: Record<string, number>;
  tokensIssued: number;
  apiRequests: number;
  /** API calls answered 401. */
  apiRejections: number;
  /** A single-use refresh token presented a second time. */
  refreshTokenReuses: number;
  /** Token families revoked because of such reuse. */
  familiesRevoked: number;
  /** Carrier requests whose socket was reset by `outage: 'reset'` (they count nowhere else). */
  connectionsReset: number;
  /** Labels (shipments) the carrier created, faulted answers included; idempotent replays create none. */
  labelsCreated: number;
}

export interface SimulatorHandle {
  /** e.g. `http://127.0.0.1:43123`, no trailing slash. */
  readonly url: string;
  readonly port: number;
  /** Live fault switches. */
  faults: SimFaults;
  /** The shipments this carrier made; `ledger.manifest(trackingNumber)` makes a void too late. */
  readonly ledger: ShipmentLedger;
  /** Merge fault switches; async because `outage: 'refuse'` closes or reopens the listener. */
  setFaults(partial: Partial<SimFaults>): Promise<void>;
  /** Back to the carrier defaults (listening again if the listener was refused). */
  resetFaults(): Promise<void>;
  stats(): SimStats;
  resetStats(): void;
  addClient(client: SimClient): void;
  /** The old secret now gets the carrier's invalid-client answer. Tokens already issued stay valid. */
  rotateSecret(clientId: string, newSecret: string): void;
  /** Mint a refresh token as if the user had consented (a new token family). Throws for carriers without refresh tokens. */
  issueRefreshToken(clientId: string): string;
  /** Is this access token currently accepted by the API? */
  isAccessTokenValid(token: string): boolean;
  /** The most recent access and refresh tokens issued (up to 10,000), for leak checks in tests. */
  issuedTokens(): string[];
  close(): Promise<void>;
}

/** Options every `start*Simulator` accepts. */
export interface SimulatorOptions {
  /** Default 0 (an ephemeral port). */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  clients?: SimClient[];
  faults?: Partial<SimFaults>;
  /** Epoch-ms clock for issue times and expiry checks; tests pass a manual clock instead of sleeping. */
  clock?: () => number;
}

/** Fault defaults shared by all carriers; each carrier supplies its own token lifetime. */
export function defaultFaults(tokenLifetimeSeconds: number): SimFaults {
  return {
    errorInSuccessBody: false,
    throttle: { count: 0 },
    tokenServerErrors: 0,
    tokenServerErrorStatus: 503,
    tokenLatencyMs: 0,
    apiLatencyMs: 0,
    outage: 'none',
    tokenLifetimeSeconds,
    prematureExpirySeconds: null,
    skewSeconds: 0,
    shipmentFault: { kind: 'none', count: 0 },
    ratesLatencyMs: 0,
    trackingLatencyMs: 0,
    ratesFault: { kind: 'none', count: 0 },
    trackingFault: { kind: 'none', count: 0 },
    trackingStage: null,
  };
}

/** Carrier default constants are frozen, nested throttle included, so no test can alter them by accident. */
export function freezeFaults(faults: SimFaults): Readonly<SimFaults> {
  Object.freeze(faults.throttle);
  Object.freeze(faults.shipmentFault);
  Object.freeze(faults.ratesFault);
  Object.freeze(faults.trackingFault);
  return Object.freeze(faults);
}

export function emptyStats(): SimStats {
  return {
    tokenRequests: 0,
    tokenRequestsByClient: {},
    tokensIssued: 0,
    apiRequests: 0,
    apiRejections: 0,
    refreshTokenReuses: 0,
    familiesRevoked: 0,
    connectionsReset: 0,
    labelsCreated: 0,
  };
}
