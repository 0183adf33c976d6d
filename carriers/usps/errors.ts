/**
 * @module carriers/usps/errors
 * USPS token errors are RFC 6749 bodies ({error, error_description, error_uri}, [USPS-OAUTH] 5.5);
 * API errors are ErrorMessage bodies whose codes map to failure classes in `api.errorClasses`.
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../../src/core/carrier.js';
import { RFC6749_TOKEN_ERRORS } from '../_shared/rfc6749.js';

export const USPS_ERRORS: Pick<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  errorBodyShape: 'rfc6749',
  // 401 invalid_client: "InvalidApiKey: ..." and "Client authentication failed." ([USPS-OAUTH]).
  errorCodes: RFC6749_TOKEN_ERRORS,
  refreshErrorCodes: {
    // 400 invalid_request "Invalid Refresh Token ... missing, have expired or have been revoked".
    invalid_request: 'invalid_grant',
  },
};

export const USPS_API_ERRORS: CarrierDescriptorData['api'] = {
  // 401 with WWW-Authenticate: Bearer realm="https://api.usps.com" on every v3 API ([USPS-SPECS]).
  tokenRejectedStatuses: [401],
  // The v3 APIs answer {apiVersion, error: {code, message, errors: [{status, code, title, detail}]}}
  // (addresses.yaml ErrorMessage), which no ERROR_BODY_SHAPES entry reads: `error` is an object,
  // and `error.code` is only the HTTP status as a string ("401", "404"). The codes below are the
  // ones USPS puts in `errors[].title` / `errors[].code` or at the head of a description.
  errorBodyShape: 'rfc6749',
  errorClasses: {
    // 401 "Missing or malformed access token.", errors[0].title "invalid_token" ([USPS-I68]). The
    // wording for an expired token is UNVERIFIED (facts 5.5, 7): it may be the same title, so the
    // umbrella class, which holds for expiry and for a malformed token alike.
    invalid_token: 'authorization.rejected',
    // 403 "Access is denied." (every v3 spec); RFC 6750 3.1 names the subordinate code
    // insufficient_scope. That USPS uses that code is UNVERIFIED.
    insufficient_scope: 'authorization.scope',
    // 429 + Retry-After (every v3 spec); the token endpoint's 429 says "SpikeArrestViolation: Too
    // many requests received from client in a short time." ([USPS-OAUTH], facts 5.5). Which field
    // carries it on the APIs is UNVERIFIED.
    SpikeArrestViolation: 'downstream.throttled',
    // The hourly quota (60 calls per hour per API, [USPS-I30]): its answer is UNVERIFIED.
    // SpikeArrestViolation is the name of an Apigee policy fault, and Apigee's quota policy fails
    // with QuotaViolation; mapped by that analogy so a spent quota reads as "wait", never as a
    // credential problem.
    QuotaViolation: 'downstream.throttled',
  },
};
