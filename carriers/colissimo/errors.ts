/**
 * @module carriers/colissimo/errors
 * Colissimo declares 403 "Token KO or Unauthorized access" for a bad key (no body schema,
 * [COL-SPEC]); 401 is kept too, as the other carriers answer. 400 (functional error) and 422
 * (badly formatted JSON) are about the request, not the key.
 */
import type { CarrierDescriptorData } from '../descriptor.js';

export const COLISSIMO_API_ERRORS: CarrierDescriptorData['api'] = {
  tokenRejectedStatuses: [401, 403],
  // Colissimo's body is {messages: [{id, type, messageContent}]} ([COL-SPEC] GenerateLabelV2Response),
  // which none of ERROR_BODY_SHAPES describes; the field is not read for API errors today, so the
  // nearest value stands in until the descriptor has that shape.
  errorBodyShape: 'rfc6749',
};
