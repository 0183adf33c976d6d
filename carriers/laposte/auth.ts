/**
 * @module carriers/laposte/auth
 * Okapi APIs take a static application key in `X-Okapi-Key` (securitySchemes.OKAPIkey in
 * la-poste-groupe-suivi-openapi.json; [LP-SUIVI], [LP-AUTH-EV]). The key is configured as
 * `credentials.clientSecret` (the application's id stays in `clientId`).
 */
import type { AuthorizationData, CarrierDescriptorData, TokenEndpointData } from '../../src/core/carrier.js';

export const LAPOSTE_CREDENTIALS: NonNullable<CarrierDescriptorData['staticCredentials']> = {
  scheme: 'header',
  header: 'X-Okapi-Key',
  secret: 'clientSecret',
};

/**
 * The OAuth mode, for La Poste accounts set up with the authorization-code flow. No OAuth flow is
 * documented for La Poste's shipping or tracking APIs ([LP-AUTH-EV], facts 4c: UNVERIFIED; only
 * Digiposte has client credentials with Basic, [LP-DIGI]), so this mode follows RFC 6749 and RFC
 * 7636 and the account gives its token and authorize URLs. Refresh tokens are treated as single
 * use: the failure reported from production is two racing refreshes burning the family.
 */
export const LAPOSTE_OAUTH_TOKEN: Omit<
  TokenEndpointData,
  'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'
> = {
  // RFC 6749 2.3.1; Digiposte, La Poste's one documented OAuth API, uses Basic ([LP-DIGI]).
  clientAuthentication: 'client_secret_basic',
  bodyEncoding: 'form',
  basicCredentialEncoding: 'form-urlencoded',
  grants: ['authorization_code'],
  defaultGrant: 'authorization_code',
  requiredCredentials: { authorization_code: ['clientSecret'] },
  credentialHeaders: {},
  credentialParams: {},
  rotatesRefreshTokens: true,
};

export const LAPOSTE_OAUTH_REFRESH = { marginSeconds: 60, windowSeconds: 300 };

/** PKCE with S256 (RFC 7636 4.2), the client authenticating as configured beside the verifier (4.5). */
export const LAPOSTE_AUTHORIZATION: AuthorizationData = {
  pkce: 'supported',
  pkceDefault: true,
  pkceClientAuthentication: 'as-configured',
  codeExchangeErrors: {
    // RFC 6749 5.2 invalid_grant covers a used, expired or mismatched code alike.
    invalid_grant: { outcome: 'code_rejected' },
  },
};
