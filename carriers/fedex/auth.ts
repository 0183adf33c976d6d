/**
 * @module carriers/fedex/auth
 * How the FedEx token endpoint authenticates the client and which grants it takes.
 */
import type { TokenEndpointData } from '../../src/core/carrier.js';

export const FEDEX_TOKEN: Omit<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  // client_id and client_secret in the form body, no Basic header (APIAuthorization-Resource.json,
  // /oauth/token requestBody; [FDX-AUTH]).
  clientAuthentication: 'client_secret_post',
  bodyEncoding: 'form',
  basicCredentialEncoding: 'form-urlencoded',
  // grant_type enum: client_credentials, csp_credentials, client_pc_credentials; no refresh tokens.
  grants: ['client_credentials', 'csp_credentials', 'client_pc_credentials'],
  defaultGrant: 'client_credentials',
  requiredCredentials: {
    client_credentials: ['clientSecret'],
    csp_credentials: ['clientSecret', 'childKey', 'childSecret'],
    client_pc_credentials: ['clientSecret', 'childKey', 'childSecret'],
  },
  credentialHeaders: {},
  // The spec spells the field `child_Key` with a capital K.
  credentialParams: {
    csp_credentials: { child_Key: 'childKey', child_secret: 'childSecret' },
    client_pc_credentials: { child_Key: 'childKey', child_secret: 'childSecret' },
  },
  rotatesRefreshTokens: false,
};

/** One-hour tokens ("regenerated after every 60 minutes", [FDX-AUTH-DOC]). */
export const FEDEX_REFRESH = { marginSeconds: 60, windowSeconds: 600 };
