/**
 * @module core/account
 * The account model every feature works from: one carrier account as configuration and carrier
 * data resolved it at boot (src/accounts/resolve.ts). An account either holds a token profile
 * (the engine refreshes its tokens) or a static credential sent as it is.
 */
import type {
  CarrierDescriptor,
  ClientAuthMethod,
  DependentTokenData,
  Grant,
  TokenEndpointData,
  TokenFailureClass,
  AuthorizationData,
} from './carrier.js';
import type { FailureClass } from './failure-classes.js';
import type { ShippingAdapter } from './shipping-adapter.js';

/** The credential fields an account may configure (config/schema.ts validates them). */
export interface Credentials {
  clientId: string;
  clientSecret?: string | undefined;
  /** Tried before `clientSecret` until the carrier accepts it (src/auth/secret-rotation.ts). */
  nextClientSecret?: string | undefined;
  merchantId?: string | undefined;
  childKey?: string | undefined;
  childSecret?: string | undefined;
  refreshToken?: string | undefined;
  username?: string | undefined;
  password?: string | undefined;
}

export interface TokenProfile {
  tokenUrl: string;
  refreshUrl: string;
  grant: Grant;
  /** Authorization-code accounts keep a refresh token and use the refresh_token grant. */
  usesRefreshToken: boolean;
  rotatesRefreshTokens: boolean;
  clientAuthentication: ClientAuthMethod;
  bodyEncoding: 'form' | 'json';
  basicCredentialEncoding: 'form-urlencoded' | 'raw';
  params: Record<string, string>;
  headers: Record<string, string>;
  issuedAtUnit?: 'ms' | 's';
  publicKeyField?: string;
  errorBodyShape: TokenEndpointData['errorBodyShape'];
  errorCodes: Record<string, TokenFailureClass>;
  refreshErrorCodes: Record<string, TokenFailureClass>;
  timeoutMs: number;
  /**
   * The token introspection endpoint (RFC 7662 2), from `oauth2.introspectionUrl`. The client
   * authenticates to it with the same credentials and method as to the token endpoint (2.1).
   */
  introspectionUrl?: string;
}

/** Where the gateway receives authorization responses (RFC 6749 4.1.2); see src/http/routes/getOAuthCallback.ts. */
export const OAUTH_CALLBACK_PATH = '/v1/oauth/callback';
/**
 * The one-time start link the operator's browser opens (src/http/routes/getOAuthStart.ts): it
 * sets the cookie the callback checks and redirects to the carrier. Next to the callback, under
 * the same prefix, so the cookie is set on the callback's host.
 */
export const OAUTH_START_PATH = '/v1/oauth/start';

/**
 * How the gateway onboards an authorization-code account (RFC 6749 4.1, RFC 7636): present only
 * when the account has that grant and a redirect URI could be resolved.
 */
export interface AuthorizationProfile {
  authorizeUrl: string;
  /** Registered with the carrier; sent on /authorize and again, identical, on the code exchange (RFC 6749 4.1.3). */
  redirectUri: string;
  scope?: string;
  /** S256 PKCE on this account (RFC 7636 4.2). */
  pkce: boolean;
  /** With PKCE, the code exchange sends `client_id` instead of client authentication (UPS, OAuthAuthCode.yaml). */
  pkceClientIdOnly: boolean;
  /** Further authorization-request parameters: `resource` (RFC 8707 2.1) and `audience`, from the oauth2 block. */
  params: Record<string, string>;
  codeExchangeErrors: AuthorizationData['codeExchangeErrors'];
}

export interface JwtExpectations {
  audience?: string;
  scopes?: string[];
  issuer?: string;
  jwksUrl?: string;
  publicKey?: string;
  clockToleranceSeconds: number;
}

export interface AccountBase {
  id: string;
  /** The carrier's id (carriers/index.ts). */
  carrier: string;
  descriptor: CarrierDescriptor;
  credentials: Credentials;
  api: {
    baseUrl: URL;
    timeoutMs: number;
    tokenRejectedStatuses: number[];
    /** The carrier's API error codes → failure classes (health taxonomy). */
    errorClasses: Readonly<Record<string, FailureClass>>;
  };
  /** Epoch ms when the client secret expires, where the configuration says. */
  secretExpiresAt?: number;
  tokenQuotaPerHour?: number;
  /** Label creation through `POST /v1/shipments`; absent when the carrier or the account cannot ship. */
  shipping?: AccountShipping;
}

/** A carrier's shipping adapter with this account's settings, checked at boot. */
export interface AccountShipping {
  adapter: ShippingAdapter;
  settings: unknown;
}

/**
 * A dependent token as one account uses it: the carrier's data, the URL it is obtained from and
 * the account's configuration block that is the request body (undefined: not configured, and
 * the paths that need it answer ERR_DEPENDENT_TOKEN_NOT_CONFIGURED).
 */
export interface DependentTokenProfile {
  data: DependentTokenData;
  url: string;
  body?: unknown;
}

/** An account whose carrier issues tokens: the token engine refreshes them. */
export interface ResolvedAccount extends AccountBase {
  kind: 'oauth';
  token: TokenProfile;
  jwt: JwtExpectations;
  refresh: { marginMs: number; windowMs: number };
  /** Authorization-code onboarding through `/v1/accounts/{id}/authorize`, where configured. */
  authorization?: AuthorizationProfile;
  /** Second tokens some API paths need (USPS labels); empty for most carriers. */
  dependentTokens: DependentTokenProfile[];
}

/** An account with static credentials (API key header, HTTP Basic): sent as they are on every call. */
export interface StaticAccount extends AccountBase {
  kind: 'static';
  /** The header carrying the credential and its full value; a secret, never logged. */
  staticCredential: { header: string; value: string };
}

export type ConfiguredAccount = ResolvedAccount | StaticAccount;
