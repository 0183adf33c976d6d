/**
 * @module carriers/usps/api
 * USPS APIs v3 hosts: apis.usps.com and the TEM test environment apis-tem.usps.com (note the
 * "s": api.usps.com answers v3 tokens with an empty 401, [USPS-I89]); OAuth at /oauth2/v3/token
 * (addresses.yaml `servers` and securitySchemes; [USPS-OAUTH]); authorize at /oauth2/v3/authorize
 * on the same hosts ([USPS-OAUTH] [USPS-README] 5.1).
 */
export const USPS_ENVIRONMENTS = {
  sandbox: {
    token: 'https://apis-tem.usps.com/oauth2/v3/token',
    authorize: 'https://apis-tem.usps.com/oauth2/v3/authorize',
    api: 'https://apis-tem.usps.com',
  },
  production: {
    token: 'https://apis.usps.com/oauth2/v3/token',
    authorize: 'https://apis.usps.com/oauth2/v3/authorize',
    api: 'https://apis.usps.com',
  },
};
