/**
 * @module carriers/dhl-express/auth
 * MyDHL has no token endpoint: HTTP Basic on every call, the API key as user name and the API
 * secret as password (securitySchemes.basicAuth; [MYDHL], [SHIPPY-I7]).
 */
import type { CarrierDescriptorData } from '../../src/core/carrier.js';

export const DHL_EXPRESS_CREDENTIALS: NonNullable<CarrierDescriptorData['staticCredentials']> = {
  scheme: 'basic',
  secret: 'clientSecret',
};
