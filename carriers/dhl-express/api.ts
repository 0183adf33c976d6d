/**
 * @module carriers/dhl-express/api
 * MyDHL API hosts and the headers every call carries (dpdhl-express-api-3.1.1_swagger.yaml
 * `servers` and `components.parameters`; [MYDHL] in ../shared/carrier-auth-facts.md).
 */
import { randomUUID } from 'node:crypto';

import type { ApiRequestContext, CarrierDescriptorData } from '../../src/core/carrier.js';

/** The official spec's hosts; a third-party page's api-eu.dhl.com base conflicts with it ([APIDOJO]). */
export const DHL_EXPRESS_ENVIRONMENTS = {
  sandbox: { api: 'https://express.api.dhl.com/mydhlapi/test' },
  production: { api: 'https://express.api.dhl.com/mydhlapi' },
};

/** `x-version` is required ("Interface version - do not change", default 3.1.0). */
export const DHL_EXPRESS_INTERFACE_VERSION = '3.1.0';

/**
 * Adds the required `x-version` and a `Message-Reference` (1-36 characters, unique per request)
 * with its `Message-Reference-Date` when the client did not send them.
 */
export function decorateDhlExpressRequest(request: ApiRequestContext): void {
  if (!request.headers['x-version']) request.headers['x-version'] = DHL_EXPRESS_INTERFACE_VERSION;
  if (!request.headers['message-reference']) {
    request.headers['message-reference'] = randomUUID();
    request.headers['message-reference-date'] = new Date().toUTCString();
  }
}

/**
 * The synthetic probe: dpdhl-express-api-3.1.1_swagger.yaml `GET /address-validate`
 * (operationId exp-api-address-validate), the facts' probe ([MYDHL] 3b.6): a read-only capability
 * check for one delivery address. No token endpoint (HTTP Basic on every call), so there is
 * nothing to issue: the probe sends the static credentials.
 */
export const DHL_EXPRESS_PROBE: NonNullable<CarrierDescriptorData['probe']> = {
  method: 'GET',
  path: '/address-validate?type=delivery&countryCode=DE&postalCode=53113&cityName=Bonn',
  okStatuses: [200],
  freshIssuance: false,
};

/**
 * What a client may send MyDHL itself (issue 12, point 7): the `components.parameters` header
 * fields of dpdhl-express-api-3.1.1_swagger.yaml (`Message-Reference`, `Message-Reference-Date`,
 * and the `Plugin-*`, `Shipping-System-Platform-*` and `Webstore-Platform-*` names and versions).
 * `x-version` is not among them: "Interface version - do not change", the gateway sets it.
 */
export const DHL_EXPRESS_FORWARDED_HEADERS: CarrierDescriptorData['forwardedHeaders'] = {
  names: [
    'message-reference',
    'message-reference-date',
    'plugin-name',
    'plugin-version',
    'shipping-system-platform-name',
    'shipping-system-platform-version',
    'webstore-platform-name',
    'webstore-platform-version',
  ],
  sources: ['../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml'],
};
