/**
 * @module carriers/usps/errors
 * USPS token errors are RFC 6749 bodies ({error, error_description, error_uri}, [USPS-OAUTH] 5.5).
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../descriptor.js';

export const USPS_ERRORS: Pick<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  errorBodyShape: 'rfc6749',
  errorCodes: {
    // 401 "InvalidApiKey: ..." and "Client authentication failed." ([USPS-OAUTH]).
    invalid_client: 'invalid_client',
    invalid_grant: 'invalid_grant',
    invalid_scope: 'invalid_scope',
    unauthorized_client: 'unauthorized_client',
    invalid_request: 'invalid_request',
  },
  refreshErrorCodes: {
    // 400 invalid_request "Invalid Refresh Token ... missing, have expired or have been revoked".
    invalid_request: 'invalid_grant',
  },
};

export const USPS_API_ERRORS: CarrierDescriptorData['api'] = {
  // 401 with WWW-Authenticate: Bearer realm="https://api.usps.com" on every v3 API ([USPS-SPECS]).
  tokenRejectedStatuses: [401],
  errorBodyShape: 'rfc6749',
};
