/**
 * @module carriers/ups/errors
 * UPS error codes mapped to the gateway's failure classes: the token endpoint's (src/auth/classify.ts)
 * and the business APIs' (`api.errorClasses`, src/core/failures.ts).
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../../src/core/carrier.js';

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
  errorClasses: {
    // 250002 "Invalid Authentication Information": wrong credentials, an expired or bad token, AND
    // an app without the API product ([SR-I66], [TECHSHIP]; facts 1.5 and 1.7). One code for
    // expiry, revocation and entitlement, so only the umbrella class is true; the status for an
    // expired token is UNVERIFIED (401 expected, AddressValidation.yaml declares 401).
    '250002': 'authorization.rejected',
    // 250003 "Invalid Access License number": a business API called without `/api` ([OPENILLUMI],
    // observed; status UNVERIFIED, facts 1.1). The token is fine, the path is wrong: it must not
    // read as an auth failure (without this entry a 401 would count as premature expiry).
    '250003': 'downstream.client_error',
    // 429 {"code":"10429","message":"Too Many Requests"}, no Retry-After ([UPS-I8], [UPS-I123]):
    // wait, never a credential problem.
    '10429': 'downstream.throttled',
  },
};
