/**
 * @module carriers/dhl-parcel-de/api
 * DHL Parcel Germany hosts: the token endpoint lives under the API host at
 * /parcel/de/account/auth/ropc/v1 (pp-account-auth-ropc_0.yaml `servers`), business APIs under
 * /parcel/de/... (parcel-de-shipping-v2_2.yaml `servers`).
 */
import type { ApiRequestContext, CarrierDescriptorData } from '../../src/core/carrier.js';

export const DHL_PARCEL_DE_ENVIRONMENTS = {
  sandbox: {
    token: 'https://api-sandbox.dhl.com/parcel/de/account/auth/ropc/v1/token',
    api: 'https://api-sandbox.dhl.com',
  },
  production: {
    token: 'https://api-eu.dhl.com/parcel/de/account/auth/ropc/v1/token',
    api: 'https://api-eu.dhl.com',
  },
};

/**
 * The gateway always authenticates with the Bearer token, so a `dhl-api-key` header a client
 * sends along is dropped: "Both old-style (apikey + basic auth) and token-based authentication are
 * supported. [...] Using different combinations of credentials will result in errors"
 * (pp-account-auth-ropc_0.yaml GET /hello; [DHL-ROPC] 6). Left in, the carrier's 401 would make the
 * gateway throw away a good token and retry with a fresh one that fails the same way.
 */
export function decorateDhlParcelDeRequest(request: ApiRequestContext): void {
  delete request.headers['dhl-api-key'];
}

/**
 * The synthetic probe: pp-account-auth-ropc_0.yaml `GET /hello` (operationId hello) under the
 * ROPC base, "allows testing of the token" ([DHL-ROPC] facts 3a.1 and 3a.6): purpose-built and
 * free of side effects. `freshIssuance: false`: the developer portal's tiers cap a Starter app at
 * 250 calls a day ([DHL-PORTAL-RL]; whether that binds Parcel DE is UNVERIFIED), and the token
 * lives 30 minutes ([DHL-ROPC] 3a.4), so the engine's own refreshes already exercise the token
 * endpoint twice an hour.
 */
export const DHL_PARCEL_DE_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'GET',
  path: '/parcel/de/account/auth/ropc/v1/hello',
  okStatuses: [200],
  freshIssuance: false,
  // 250 calls a day on a Starter tier ([DHL-PORTAL-RL], UNVERIFIED for Parcel DE): 48 probes a day.
  minIntervalSeconds: 1_800,
};

/**
 * What a client may send DHL Parcel DE itself (issue 12, point 7): beyond `Accept-Language`
 * (a representation header, forwarded to every carrier) the spec's only header parameter is
 * `dhl-api-key`, the gateway's credential (parcel-de-shipping-v2_2.yaml).
 */
export const DHL_PARCEL_DE_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: [],
  sources: ['../shared/carrier-specs/dhl/parcel-de-shipping-v2_2.yaml'],
};
