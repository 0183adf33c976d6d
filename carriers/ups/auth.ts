/**
 * @module carriers/ups/auth
 * How the UPS token endpoints authenticate the client and which grants they take.
 */
import type { AuthorizationData, TokenEndpointData } from '../../src/core/carrier.js';

export const UPS_TOKEN: Omit<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  // HTTP Basic client_id:client_secret, form body (OAuthClientCredentials.yaml, securitySchemes; [UPS-CC]).
  clientAuthentication: 'client_secret_basic',
  bodyEncoding: 'form',
  // "Client ID as username, Secret as password" with no word of form-encoding ([UPS-CC]).
  basicCredentialEncoding: 'raw',
  // client_credentials and authorization_code with refresh at /v1/oauth/refresh (OAuthAuthCode.yaml).
  grants: ['client_credentials', 'authorization_code'],
  defaultGrant: 'client_credentials',
  requiredCredentials: {
    client_credentials: ['clientSecret'],
    authorization_code: ['clientSecret'],
  },
  // Optional "6-digit UPS account number" header (OAuthClientCredentials.yaml, x-merchant-id).
  credentialHeaders: { 'x-merchant-id': 'merchantId' },
  credentialParams: {},
  // "Once a refresh token is used, a new refresh token will be sent, and the used refresh token
  // cannot be used again." ([UPS-I90]).
  rotatesRefreshTokens: true,
  // issued_at is epoch milliseconds as a string ([UPS-AC], [UPS-SDK]).
  issuedAtUnit: 'ms',
};

/** Access tokens live ~4 h (expires_in "14399"); karrio refreshes 30 min early ([KAR-UPS]). */
export const UPS_REFRESH = { marginSeconds: 120, windowSeconds: 1800 };

/**
 * Authorization code with optional PKCE ([UPS-AC] 1.2, 1.3; OAuthAuthCode.yaml): `code_challenge`
 * = BASE64URL(SHA256(verifier)) on /authorize, and with PKCE the /token request carries no Basic
 * header but `client_id` and `code_verifier` in the body.
 */
export const UPS_AUTHORIZATION: AuthorizationData = {
  pkce: 'supported',
  pkceDefault: true,
  pkceClientAuthentication: 'client-id-only',
  codeExchangeErrors: {
    // 10400 also covers "bad/empty auth code" ([UPS-SDK]); the gateway always sends every
    // parameter, so at the code exchange it means the code is spent, expired or unknown.
    '10400': { outcome: 'code_rejected' },
    // 10401 covers "redirect mismatch" ([UPS-SDK]); the gateway sends the redirect_uri it used at
    // /authorize, so the code was issued for another one. UPS uses the same code for a wrong secret.
    '10401': {
      outcome: 'redirect_uri_mismatch',
      note: 'UPS answers 10401 for a redirect_uri other than the one the code was issued for, and also for a wrong client secret ([UPS-SDK])',
    },
  },
};
