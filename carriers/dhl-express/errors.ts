/**
 * @module carriers/dhl-express/errors
 * MyDHL errors are problem-style bodies {instance, detail, title, message, status} with no code
 * of their own ([MYDHL], [KAR-MYDHL]); a 401 is not declared (UNVERIFIED), so 401 is taken as
 * "credentials rejected" like the other carriers.
 */
import type { CarrierDescriptorData } from '../descriptor.js';

export const DHL_EXPRESS_API_ERRORS: CarrierDescriptorData['api'] = {
  tokenRejectedStatuses: [401],
  // The body is not RFC 6749 (supermodelIoLogisticsExpressErrorResponse has no `error` field), but
  // ERROR_BODY_SHAPES has no problem-style entry; src/ reads api.errorBodyShape nowhere today.
  errorBodyShape: 'rfc6749',
};
