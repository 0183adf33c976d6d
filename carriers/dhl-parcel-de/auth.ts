/**
 * @module carriers/dhl-parcel-de/auth
 * The Parcel DE token endpoint: OAuth 2.0 password grant only, everything in the form body.
 */
import type { TokenEndpointData } from '../../src/core/carrier.js';

export const DHL_PARCEL_DE_TOKEN: Omit<
  TokenEndpointData,
  'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'
> = {
  // grant_type, client_id, client_secret, username, password, all required, form-encoded, no Basic
  // (pp-account-auth-ropc_0.yaml POST /token requestBody; [DHL-ROPC]).
  clientAuthentication: 'client_secret_post',
  bodyEncoding: 'form',
  basicCredentialEncoding: 'form-urlencoded',
  // grant_type enum has the single value "password".
  grants: ['password'],
  defaultGrant: 'password',
  requiredCredentials: { password: ['clientSecret', 'username', 'password'] },
  credentialHeaders: {},
  // The GKP (business customer portal) user and password.
  credentialParams: { password: { username: 'username', password: 'password' } },
  // No refresh token is issued ([DHL-ROPC] 4).
  rotatesRefreshTokens: false,
};

/** Tokens live 1799 s; karrio refreshes 5 minutes early ([KAR-DHLDE]). */
export const DHL_PARCEL_DE_REFRESH = { marginSeconds: 120, windowSeconds: 300 };
