/**
 * @module carriers/fedex/api
 * FedEx hosts. The raw specs declare `servers: "/"`; the hosts come from the developer portal
 * ([FDX-AUTH-DOC], [KAR-FDX] in ../shared/carrier-auth-facts.md).
 */
export const FEDEX_ENVIRONMENTS = {
  sandbox: { token: 'https://apis-sandbox.fedex.com/oauth/token', api: 'https://apis-sandbox.fedex.com' },
  production: { token: 'https://apis.fedex.com/oauth/token', api: 'https://apis.fedex.com' },
};
