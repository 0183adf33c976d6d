/**
 * @module carriers/oauth2/auth
 * RFC 6749 defaults for the generic adapter; accounts override them under `oauth2:`.
 */
import type { AuthorizationData, TokenEndpointData } from '../../src/core/carrier.js';

export const OAUTH2_TOKEN: Omit<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  // RFC 6749 2.3.1: servers MUST support HTTP Basic; client_secret_post is optional.
  clientAuthentication: 'client_secret_basic',
  bodyEncoding: 'form',
  basicCredentialEncoding: 'form-urlencoded',
  grants: ['client_credentials', 'authorization_code', 'password'],
  defaultGrant: 'client_credentials',
  requiredCredentials: { password: ['username', 'password'] },
  credentialHeaders: {},
  // RFC 6749 4.3.2: the resource owner's credentials go in the body.
  credentialParams: { password: { username: 'username', password: 'password' } },
  // Safe default: treat refresh tokens as single-use (OAuth 2.1 4.3.1 requires rotation or binding).
  rotatesRefreshTokens: true,
};

export const OAUTH2_REFRESH = { marginSeconds: 30, windowSeconds: 300 };

/**
 * RFC 6749 4.1 with PKCE on by default (RFC 7636; OAuth 2.1 draft 4.1.1 requires it). The client
 * authenticates as configured alongside the `code_verifier` (RFC 7636 4.5).
 */
export const OAUTH2_AUTHORIZATION: AuthorizationData = {
  pkce: 'supported',
  pkceDefault: true,
  pkceClientAuthentication: 'as-configured',
  codeExchangeErrors: {
    // RFC 6749 5.2: invalid_grant is a code that is "invalid, expired, revoked, does not match the
    // redirection URI used in the authorization request, or was issued to another client".
    invalid_grant: { outcome: 'code_rejected' },
  },
};
