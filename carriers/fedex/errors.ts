/**
 * @module carriers/fedex/errors
 * FedEx error codes mapped to the gateway's failure classes.
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../descriptor.js';

export const FEDEX_ERRORS: Pick<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  // {"transactionId","errors":[{"code","message"}]} (APIAuthorization-Resource.json, ErrorResponseVO).
  errorBodyShape: 'errors-array',
  errorCodes: {
    // 401 "The given client credentials were not valid." ([FDX-AUTH]).
    'NOT.AUTHORIZED.ERROR': 'invalid_client',
    'INTERNAL.SERVER.ERROR': 'server_error',
    'SERVICE.UNAVAILABLE.ERROR': 'server_error',
    // 403 "We could not authorize your credentials" ([FDX-TRK]).
    'FORBIDDEN.ERROR': 'unauthorized_client',
  },
  refreshErrorCodes: {},
};

export const FEDEX_API_ERRORS: CarrierDescriptorData['api'] = {
  // 401 NOT.AUTHORIZED.ERROR "Access token expired." (TrackingNumbers-Resource.json 401 example).
  tokenRejectedStatuses: [401],
  errorBodyShape: 'errors-array',
};
