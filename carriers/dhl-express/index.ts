/**
 * @module carriers/dhl-express
 * DHL Express (MyDHL API): static HTTP Basic credentials, in the shape of carriers/ups.
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import { dhlExpressRates } from './rates.js';
import {
  decorateDhlExpressRequest,
  DHL_EXPRESS_ENVIRONMENTS,
  DHL_EXPRESS_PROBE,
  DHL_EXPRESS_FORWARDED_HEADERS,
} from './api.js';
import { DHL_EXPRESS_CREDENTIALS } from './auth.js';
import { DHL_EXPRESS_API_ERRORS } from './errors.js';
import { dhlExpressShipping } from './shipping.js';
import { dhlExpressTracking } from './tracking.js';
import { dhlExpressVoid } from './void.js';

export const dhlExpress: CarrierDescriptor = {
  data: {
    id: 'dhl-express',
    name: 'DHL Express',
    environments: DHL_EXPRESS_ENVIRONMENTS,
    staticCredentials: DHL_EXPRESS_CREDENTIALS,
    api: DHL_EXPRESS_API_ERRORS,
    probe: DHL_EXPRESS_PROBE,
    forwardedHeaders: DHL_EXPRESS_FORWARDED_HEADERS,
    sources: [
      '../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml',
      '../shared/carrier-auth-facts.md section 3b (DHL Express MyDHL)',
    ],
  },
  decorateApiRequest: decorateDhlExpressRequest,
  shipping: { ...dhlExpressShipping, void: dhlExpressVoid },
  rates: dhlExpressRates,
  tracking: dhlExpressTracking,
};
