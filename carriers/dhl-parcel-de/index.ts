/**
 * @module carriers/dhl-parcel-de
 * DHL Parcel Germany (Post & Parcel Germany), in the shape of carriers/ups.
 */
import type { CarrierDescriptor } from '../../src/core/carrier.js';
import {
  decorateDhlParcelDeRequest,
  DHL_PARCEL_DE_ENVIRONMENTS,
  DHL_PARCEL_DE_PROBE,
  DHL_PARCEL_DE_FORWARDED_HEADERS,
} from './api.js';
import { DHL_PARCEL_DE_REFRESH, DHL_PARCEL_DE_TOKEN } from './auth.js';
import { DHL_PARCEL_DE_API_ERRORS, DHL_PARCEL_DE_ERRORS } from './errors.js';
import { dhlParcelDeTokenResponseSchema } from './schemas.js';
import { dhlParcelDeShipping } from './shipping.js';
import { dhlParcelDeVoid } from './void.js';

export const dhlParcelDe: CarrierDescriptor = {
  data: {
    id: 'dhl-parcel-de',
    name: 'DHL Parcel DE',
    environments: DHL_PARCEL_DE_ENVIRONMENTS,
    token: { ...DHL_PARCEL_DE_TOKEN, ...DHL_PARCEL_DE_ERRORS },
    api: DHL_PARCEL_DE_API_ERRORS,
    probe: DHL_PARCEL_DE_PROBE,
    refresh: DHL_PARCEL_DE_REFRESH,
    forwardedHeaders: DHL_PARCEL_DE_FORWARDED_HEADERS,
    sources: [
      '../shared/carrier-specs/dhl/pp-account-auth-ropc_0.yaml',
      '../shared/carrier-specs/dhl/parcel-de-shipping-v2_2.yaml',
      '../shared/carrier-auth-facts.md section 3a (DHL Parcel DE)',
    ],
  },
  tokenResponseSchema: dhlParcelDeTokenResponseSchema,
  decorateApiRequest: decorateDhlParcelDeRequest,
  shipping: { ...dhlParcelDeShipping, void: dhlParcelDeVoid },
  // parcel-de-shipping-v2_2.yaml has orders, manifests and labels only; pp-account-auth-ropc_0.yaml
  // is the token. DHL's Parcel DE tracking API is a separate product with no spec saved here.
  trackingUnsupported:
    "the saved DHL Parcel DE specs (shipping v2, account auth) have no tracking operation; the pass-through reaches the carrier's own",
};
