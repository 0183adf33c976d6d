/**
 * @module carriers/usps
 * USPS APIs v3, in the shape of carriers/ups.
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import { USPS_ENVIRONMENTS, USPS_PROBE, USPS_FORWARDED_HEADERS } from './api.js';
import { USPS_AUTHORIZATION, USPS_PAYMENT_AUTHORIZATION, USPS_REFRESH, USPS_TOKEN } from './auth.js';
import { USPS_API_ERRORS, USPS_ERRORS } from './errors.js';
import { uspsTokenResponseSchema } from './schemas.js';
import { uspsRates } from './rates.js';
import { uspsShipping } from './shipping.js';
import { uspsLookup } from './lookup.js';
import { uspsVoid } from './void.js';
import { uspsTracking } from './tracking.js';

export const usps: CarrierDescriptor = {
  data: {
    id: 'usps',
    name: 'USPS',
    environments: USPS_ENVIRONMENTS,
    token: { ...USPS_TOKEN, ...USPS_ERRORS },
    authorization: USPS_AUTHORIZATION,
    api: USPS_API_ERRORS,
    probe: USPS_PROBE,
    dependentTokens: [USPS_PAYMENT_AUTHORIZATION],
    refresh: USPS_REFRESH,
    forwardedHeaders: USPS_FORWARDED_HEADERS,
    sources: [
      '../shared/carrier-specs/usps/addresses.yaml',
      '../shared/carrier-specs/usps/payments.yaml',
      '../shared/carrier-specs/usps/domestic-labels.yaml',
      '../shared/carrier-specs/usps/domestic-prices.yaml',
      '../shared/carrier-specs/usps/tracking.yaml',
      '../shared/carrier-auth-facts.md section 5 (USPS)',
    ],
  },
  tokenResponseSchema: uspsTokenResponseSchema,
  shipping: { ...uspsShipping, void: uspsVoid, lookup: uspsLookup },
  rates: uspsRates,
  tracking: uspsTracking,
};
