/**
 * @module carriers/usps/auth
 * The USPS v3 token endpoint: client_id and client_secret in the body (JSON or form; form is
 * what karrio sends), client credentials and authorization code with rotating refresh tokens.
 */
import type { AuthorizationData, DependentTokenData, TokenEndpointData } from '../../src/core/carrier.js';

export const USPS_TOKEN: Omit<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  // [USPS-OAUTH] 5.3: credentials in the request body; [KAR-USPS] sends them form-encoded.
  clientAuthentication: 'client_secret_post',
  bodyEncoding: 'form',
  basicCredentialEncoding: 'form-urlencoded',
  // Password grant "omitted" ([USPS-OAUTH]); authorization code needs the Customer Onboarding Platform.
  grants: ['client_credentials', 'authorization_code'],
  defaultGrant: 'client_credentials',
  requiredCredentials: { client_credentials: ['clientSecret'], authorization_code: ['clientSecret'] },
  credentialHeaders: {},
  credentialParams: {},
  // "A new refresh token is issued on refresh" ([USPS-OAUTH] 5.4).
  rotatesRefreshTokens: true,
  // "public_key (base64 PEM to verify the JWT)" in the token response ([USPS-OAUTH] 5.4).
  publicKeyField: 'public_key',
  // issued_at is epoch ms, as a number or a string ([USPS-I84], [USPS-README]).
  issuedAtUnit: 'ms',
};

/** 8-hour access tokens ([USPS-OAUTH-GEN]); karrio refreshes 30 minutes early ([KAR-USPS]). */
export const USPS_REFRESH = { marginSeconds: 300, windowSeconds: 1800 };

/**
 * Authorization code through the Customer Onboarding Platform ([USPS-I29] [USPS-PAY] 5.2). No PKCE
 * parameters are documented (UNVERIFIED), so PKCE is off unless the account turns it on, and then
 * the client keeps authenticating as usual (RFC 7636 4.5).
 */
export const USPS_AUTHORIZATION: AuthorizationData = {
  pkce: 'unverified',
  pkceDefault: false,
  pkceClientAuthentication: 'as-configured',
  codeExchangeErrors: {
    // RFC 6749 5.2. USPS's documented text for a bad code also names an unregistered redirect_uri:
    // "either the authorization code has expired, is invalid, or the redirect_uri is not registered."
    invalid_grant: {
      outcome: 'code_rejected',
      note: 'USPS uses one answer for an expired, invalid or spent code and an unregistered redirect_uri ([USPS-OAUTH] 5.5)',
    },
  },
};

/**
 * The payment authorization token labels need ([USPS-PAY] POST /payment-authorization, response
 * `paymentAuthorizationToken`; [USPS-LABELS] header `X-Payment-Authorization-Token`). "Valid for
 * eight hours after issuance" and "should not be re-fetched per label" ([USPS-PAY], facts 5.6).
 * A rejected payment token is a 401 without the `Bearer` challenge every access-token 401 carries
 * ([USPS-SPECS]); the simulator's body names the header as `source` (wording UNVERIFIED).
 */
export const USPS_PAYMENT_AUTHORIZATION: DependentTokenData = {
  name: 'payment-authorization',
  configBlock: 'payment',
  path: '/payments/v3/payment-authorization',
  responseField: 'paymentAuthorizationToken',
  header: 'X-Payment-Authorization-Token',
  pathPrefixes: ['/labels/v3/'],
  lifetimeSeconds: 8 * 3600,
  marginSeconds: 300,
  windowSeconds: 1800,
  rejection: { statuses: [401], notChallenge: 'Bearer' },
};
