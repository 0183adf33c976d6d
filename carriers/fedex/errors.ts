/**
 * @module carriers/fedex/errors
 * FedEx error codes mapped to the gateway's failure classes: the token endpoint's (src/auth/classify.ts)
 * and the APIs' (`api.errorClasses`, src/core/failures.ts).
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../../src/core/carrier.js';

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
  errorClasses: {
    // 401 "Access token expired. Please modify your request and try again." (TrackingNumbers-,
    // Addresses-, RateQuotes-, Shipment-Resource.json 401 examples; [FDX-TRK]). The same code also
    // answers bad client credentials at the token endpoint ([FDX-AUTH]) and, in the simulator, any
    // token it does not know: one code for expiry and invalidity, so the umbrella class.
    'NOT.AUTHORIZED.ERROR': 'authorization.rejected',
    // 401 "Re-Login authentication error" (Shipment-Resource.json, 401 example of the ship
    // validate operation). Whether it means an expired or an invalidated session is UNVERIFIED:
    // the umbrella class holds for both, and re-consent (revoked) does not apply to a
    // client-credentials carrier.
    'LOGIN.REAUTHENTICATE.ERROR': 'authorization.rejected',
    // 403 "We could not authorize your credentials. Please check your permissions and try again."
    // (TrackingNumbers-Resource.json and the other 403 examples; [FDX-TRK]): the token is valid,
    // the project lacks the permission.
    'FORBIDDEN.ERROR': 'authorization.scope',
    // 403 "UNAUTHORIZED.USAGE" (Shipment-Resource.json, 403 example of the ship validate operation).
    'UNAUTHORIZED.USAGE': 'authorization.scope',
    // No code for 429 is documented ([FDX-RL] gives only the texts "Too many requests" and "Daily
    // transaction quota exceeded"): the status decides (downstream.throttled).
  },
};
