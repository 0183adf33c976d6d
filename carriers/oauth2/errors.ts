/**
 * @module carriers/oauth2/errors
 * RFC 6749 section 5.2 (token endpoint) and RFC 6750 section 3.1 (protected resources) error
 * codes mapped to the gateway's failure classes.
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../../src/core/carrier.js';
import { RFC6749_TOKEN_ERRORS } from '../_shared/rfc6749.js';

export const OAUTH2_ERRORS: Pick<TokenEndpointData, 'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'> = {
  errorBodyShape: 'rfc6749',
  errorCodes: {
    ...RFC6749_TOKEN_ERRORS,
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
  // RFC 6750 3.1 error codes (in the WWW-Authenticate challenge; servers that also send a body,
  // like carriers/oauth2/simulator.ts, use the RFC 6749 5.2 shape).
  errorClasses: {
    // "The access token provided is expired, revoked, malformed, or invalid for other reasons":
    // one code for expiry and revocation, so only the umbrella class is true.
    invalid_token: 'authorization.rejected',
    // "The request requires higher privileges than provided by the access token" (403).
    insufficient_scope: 'authorization.scope',
    // "missing a required parameter, ... or is otherwise malformed" (400): the request, not the token.
    invalid_request: 'downstream.client_error',
  },
};
