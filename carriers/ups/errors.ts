/**
 * @module carriers/ups/errors
 * UPS error codes mapped to the gateway's failure classes.
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../descriptor.js';

export const UPS_ERRORS: Pick<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  // {"response":{"errors":[{"code","message"}]}} on every declared token response (OAuthClientCredentials.yaml).
  errorBodyShape: 'ups-response-errors',
  errorCodes: {
    // "ClientId is Invalid": wrong id/secret, unregistered client ([UPS-SDK], [KAR-I503]).
    '10401': 'invalid_client',
    // "Invalid/Missing Authorization Header", missing params ([UPS-SDK]).
    '10400': 'invalid_request',
    // Rate limit ([UPS-I8], [UPS-I123]).
    '10429': 'throttled',
  },
  refreshErrorCodes: {
    // On the refresh endpoint 10400 is "Invalid Refresh Token" ([TECHSHIP]).
    '10400': 'invalid_grant',
  },
};

export const UPS_API_ERRORS: CarrierDescriptorData['api'] = {
  // 401 with code 250002 "Invalid Authentication Information" (AddressValidation.yaml 401; [SR-I66]).
  tokenRejectedStatuses: [401],
  errorBodyShape: 'ups-response-errors',
};
