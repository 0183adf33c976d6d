/**
 * @module carriers/dhl-express/errors
 * MyDHL errors are problem-style bodies {instance, detail, title, message, status} whose only
 * code is the `status` string ([MYDHL], [KAR-MYDHL]); a 401 is not declared (UNVERIFIED), so 401
 * is taken as "credentials rejected" like the other carriers.
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const DHL_EXPRESS_API_ERRORS: CarrierDescriptorData['api'] = {
  tokenRejectedStatuses: [401],
  // The body is not RFC 6749 (supermodelIoLogisticsExpressErrorResponse has no `error` field), but
  // ERROR_BODY_SHAPES has no problem-style entry; src/ reads api.errorBodyShape nowhere today.
  errorBodyShape: 'rfc6749',
  // Keyed by the body's `status` string, which is either the HTTP status ("400", [KAR-MYDHL]) or
  // a code of MyDHL's own. 401 and 429 bodies are not declared (facts 3b.5, 7: UNVERIFIED), so
  // rejections and throttling are classed by their status.
  errorClasses: {
    // status "998", title "Validation error", message "Unprocessable Entity", detail
    // "#/customerDetails/shipperDetails: required key [countryCode] not found"
    // (dpdhl-express-api-3.1.1_swagger.yaml supermodelIoLogisticsExpressErrorResponse example).
    '998': 'downstream.client_error',
  },
};
