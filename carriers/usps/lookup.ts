/**
 * @module carriers/usps/lookup
 * Finding out whether a USPS label whose answer was lost exists: the label request is sent again
 * with the same X-Idempotency-Key. Source: carrier-specs/usps/domestic-labels.yaml, POST /label,
 * header X-Idempotency-Key: "When the same idempotency key is resubmitted with an identical request
 * payload, the API will return the existing label without creating a duplicate or charging
 * additional postage." Whatever the answer, at most one label exists for the key.
 */
import type { LookupSupport } from '../../src/core/shipping-adapter.js';
import type { UspsShippingSettings } from './shipping.js';

export const uspsLookup: LookupSupport<UspsShippingSettings> = {
  method: 'resend',
  sources: ['../shared/carrier-specs/usps/domestic-labels.yaml POST /label X-Idempotency-Key'],
};
