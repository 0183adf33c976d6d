/**
 * @module carriers/colissimo/errors
 * Colissimo declares 403 "Token KO or Unauthorized access" for a bad key (no body schema,
 * [COL-SPEC]); 401 is kept too, as the other carriers answer. 400 (functional error) and 422
 * (badly formatted JSON) are about the request, not the key.
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const COLISSIMO_API_ERRORS: CarrierDescriptorData['api'] = {
  tokenRejectedStatuses: [401, 403],
  // Colissimo's body is {messages: [{id, type, messageContent}]} ([COL-SPEC] GenerateLabelV2Response),
  // which none of ERROR_BODY_SHAPES describes; the field is not read for API errors today, so the
  // nearest value stands in until the descriptor has that shape.
  errorBodyShape: 'rfc6749',
  // Keyed by messages[].id.
  errorClasses: {
    // 30000 "Identifiant ou mot de passe incorrect": wrong credentials in a public integration's
    // recorded answer ([COL-CODE], karrio test_shipment.py, as carriers/colissimo/simulator.ts
    // cites it); that a wrong apiKey gets the same id is UNVERIFIED. The spec's 403 "Token KO or
    // Unauthorized access (sid non-existent or customer account inactive or customer terminated)"
    // ([COL-SPEC]) names no id. A static key: the umbrella class.
    '30000': 'authorization.rejected',
    // No rate-limit answer is published for SLS (facts 4b.7): a 429, if any, is classed by its status.
  },
};
