/**
 * @module carriers/fedex
 * FedEx, in the shape of carriers/ups.
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import { FEDEX_ENVIRONMENTS, FEDEX_PROBE, FEDEX_FORWARDED_HEADERS } from './api.js';
import { FEDEX_REFRESH, FEDEX_TOKEN } from './auth.js';
import { FEDEX_API_ERRORS, FEDEX_ERRORS } from './errors.js';
import { fedexTokenResponseSchema } from './schemas.js';
import { fedexShipping } from './shipping.js';
import { fedexVoid } from './void.js';
import { fedexRates } from './rates.js';
import { fedexTracking } from './tracking.js';

export const fedex: CarrierDescriptor = {
  data: {
    id: 'fedex',
    name: 'FedEx',
    environments: FEDEX_ENVIRONMENTS,
    token: { ...FEDEX_TOKEN, ...FEDEX_ERRORS },
    api: FEDEX_API_ERRORS,
    probe: FEDEX_PROBE,
    refresh: FEDEX_REFRESH,
    forwardedHeaders: FEDEX_FORWARDED_HEADERS,
    sources: [
      '../shared/carrier-specs/fedex/APIAuthorization-Resource.json',
      '../shared/carrier-specs/fedex/TrackingNumbers-Resource.json',
      '../shared/carrier-specs/fedex/Shipment-Resource.json',
      '../shared/carrier-specs/fedex/RateQuotes-Resource.json',
      '../shared/carrier-auth-facts.md section 2 (FedEx)',
    ],
  },
  tokenResponseSchema: fedexTokenResponseSchema,
  // No `lookup`: the saved FedEx specs offer no way to find a shipment whose answer was lost.
  // fedex/TrackingNumbers-Resource.json has one operation, "Track by Tracking Number" (POST
  // /track/v1/trackingnumbers, trackingInfo[].trackingNumberInfo.trackingNumber required; reference
  // numbers appear only in its answers, packageIdentifiers); fedex/Shipment-Resource.json lists no
  // shipments, and "Get Confirmed Shipment Async Results" needs the jobId of the lost answer.
  // An in-doubt FedEx label goes to an operator (test/carriers/fedex/lookup.test.ts holds this).
  shipping: { ...fedexShipping, void: fedexVoid },
  rates: fedexRates,
  tracking: fedexTracking,
};
