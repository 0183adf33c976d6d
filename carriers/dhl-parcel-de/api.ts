/**
 * @module carriers/dhl-parcel-de/api
 * DHL Parcel Germany hosts: the token endpoint lives under the API host at
 * /parcel/de/account/auth/ropc/v1 (pp-account-auth-ropc_0.yaml `servers`), business APIs under
 * /parcel/de/... (parcel-de-shipping-v2_2.yaml `servers`).
 */
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
