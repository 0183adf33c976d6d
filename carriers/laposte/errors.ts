/**
 * @module carriers/laposte/errors
 * Okapi answers a missing key with 401 {"code":"UNAUTHORIZED","message":...} ([LP-AUTH-EV],
 * observed; the Suivi spec declares 401 "Unauthorized: HMAC verification failed" with no body, and
 * the body for a wrong rather than missing key is UNVERIFIED) and a spent quota with 429
 * {"code":"TOO_MANY_REQUESTS",...} ([KAR-LP]); a 429 is not a rejection of the key.
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../../src/core/carrier.js';
import { RFC6749_TOKEN_ERRORS } from '../_shared/rfc6749.js';

export const LAPOSTE_API_ERRORS: CarrierDescriptorData['api'] = {
  tokenRejectedStatuses: [401],
  // Okapi's body is {code, message}, which none of ERROR_BODY_SHAPES describes; the field is not
  // read for API errors today, so the nearest value stands in until the descriptor has that shape.
  errorBodyShape: 'rfc6749',
  errorClasses: {
    // 401 {"code":"UNAUTHORIZED","message":"This action requires an authorization"} for a missing
    // key ([LP-AUTH-EV], observed); the body for a wrong key is UNVERIFIED (facts 4a.5). A static
    // key has no age, so the umbrella class.
    UNAUTHORIZED: 'authorization.rejected',
    // 429 {"code":"TOO_MANY_REQUESTS","message":"max quota reached (100 calls per 1s)"} ([KAR-LP]);
    // the quota window is UNVERIFIED ([LP-RL-EV]).
    TOO_MANY_REQUESTS: 'downstream.throttled',
  },
};

/** The OAuth mode's token endpoint answers RFC 6749 5.2 bodies (see auth.ts: UNVERIFIED for La Poste). */
export const LAPOSTE_OAUTH_ERRORS: Pick<
  TokenEndpointData,
  'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'
> = {
  errorBodyShape: 'rfc6749',
  errorCodes: RFC6749_TOKEN_ERRORS,
  refreshErrorCodes: {},
};
