/**
 * @module carriers/oauth2/errors
 * RFC 6749 section 5.2 error codes mapped to the gateway's failure classes.
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../descriptor.js';

export const OAUTH2_ERRORS: Pick<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  errorBodyShape: 'rfc6749',
  errorCodes: {
    invalid_client: 'invalid_client',
    invalid_grant: 'invalid_grant',
    invalid_scope: 'invalid_scope',
    unauthorized_client: 'unauthorized_client',
    unsupported_grant_type: 'unauthorized_client',
    invalid_request: 'invalid_request',
    // RFC 6749 4.1.2.1 codes some servers also return from the token endpoint.
    temporarily_unavailable: 'server_error',
    server_error: 'server_error',
    // RFC 8628-style slow_down; seen from some servers under load.
    slow_down: 'throttled',
  },
  refreshErrorCodes: {},
};

export const OAUTH2_API_ERRORS: CarrierDescriptorData['api'] = {
  // RFC 6750 3.1: invalid_token is answered with 401.
  tokenRejectedStatuses: [401],
  errorBodyShape: 'rfc6749',
};
