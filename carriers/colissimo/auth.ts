/**
 * @module carriers/colissimo/auth
 * Colissimo takes an `apiKey` request header; the older contractNumber + password body fields are
 * "Deprecated. Use apikey instead" ([COL-SPEC]). The key is configured as `credentials.clientSecret`.
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const COLISSIMO_CREDENTIALS: NonNullable<CarrierDescriptorData['staticCredentials']> = {
  scheme: 'header',
  header: 'apiKey',
  secret: 'clientSecret',
};
