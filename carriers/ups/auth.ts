/**
 * @module carriers/ups/auth
 * How the UPS token endpoints authenticate the client and which grants they take.
 */
import type { TokenEndpointData } from '../descriptor.js';

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
