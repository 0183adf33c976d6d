/**
 * @module carriers/fedex/api
 * FedEx hosts. The raw specs declare `servers: "/"`; the hosts come from the developer portal
 * ([FDX-AUTH-DOC], [KAR-FDX] in ../shared/carrier-auth-facts.md).
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const FEDEX_ENVIRONMENTS = {
  sandbox: { token: 'https://apis-sandbox.fedex.com/oauth/token', api: 'https://apis-sandbox.fedex.com' },
  production: { token: 'https://apis.fedex.com/oauth/token', api: 'https://apis.fedex.com' },
};

/**
 * The synthetic probe: Address Validation, Addresses-Resource.json
 * `POST /address/v1/addresses/resolve` (operationId "Validate Address"; [FDX-AV], the facts'
 * probe, 2.6), one US address. `freshIssuance: true`: client credentials only, no refresh token
 * to rotate ([FDX-AUTH]), and nothing documents a single active token per client; one token per
 * probe interval is far below the documented API limits ([FDX-RL]). The IP-level "threshold" on
 * the OAuth service is UNVERIFIED (facts 2.5): accounts with a configured `tokenQuotaPerHour`
 * validate the shared token instead.
 */
export const FEDEX_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'POST',
  path: '/address/v1/addresses/resolve',
  headers: { 'content-type': 'application/json' },
  body: {
    addressesToValidate: [
      {
        address: {
          streetLines: ['7372 PARKRIDGE BLVD'],
          city: 'IRVING',
          stateOrProvinceCode: 'TX',
          postalCode: '75063',
          countryCode: 'US',
        },
      },
    ],
  },
  okStatuses: [200],
  freshIssuance: true,
};

/**
 * What a client may send FedEx itself (issue 12, point 7): `x-locale` and
 * `x-customer-transaction-id`, header parameters of every business API (Shipment-Resource.json,
 * RateQuotes-Resource.json, TrackingNumbers-Resource.json, Addresses-Resource.json).
 */
export const FEDEX_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: ['x-locale', 'x-customer-transaction-id'],
  sources: [
    '../shared/carrier-specs/fedex/Shipment-Resource.json',
    '../shared/carrier-specs/fedex/RateQuotes-Resource.json',
    '../shared/carrier-specs/fedex/TrackingNumbers-Resource.json',
    '../shared/carrier-specs/fedex/Addresses-Resource.json',
  ],
};
