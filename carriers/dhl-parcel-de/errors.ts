/**
 * @module carriers/dhl-parcel-de/errors
 * Parcel DE error bodies. The token endpoint's 400/401/403 bodies are not specified
 * (UNVERIFIED, [DHL-ROPC] 5), so RFC 6749 codes are read where present and the status decides
 * otherwise; business APIs answer application/problem+json (parcel-de-shipping-v2_2.yaml RequestStatus).
 */
import type { CarrierDescriptorData, TokenEndpointData } from '../../src/core/carrier.js';
import { RFC6749_TOKEN_ERRORS } from '../_shared/rfc6749.js';

export const DHL_PARCEL_DE_ERRORS: Pick<
  TokenEndpointData,
  'errorBodyShape' | 'errorCodes' | 'refreshErrorCodes'
> = {
  errorBodyShape: 'rfc6749',
  // A wrong GKP user or password is `invalid_grant`, a rejected grant: a person must fix the credentials.
  errorCodes: RFC6749_TOKEN_ERRORS,
  refreshErrorCodes: {},
};

export const DHL_PARCEL_DE_API_ERRORS: CarrierDescriptorData['api'] = {
  tokenRejectedStatuses: [401],
  // Business APIs answer application/problem+json RequestStatus {title, status, statusCode,
  // instance, detail} (parcel-de-shipping-v2_2.yaml), which no ERROR_BODY_SHAPES entry reads.
  errorBodyShape: 'rfc6749',
  // None documented: RequestStatus carries no code of its own, only the HTTP status again
  // (`status`, deprecated `statusCode`) and free text (401 "Authentication failed. Please check
  // your access credentials." [NR-I80], observed). Unauthorized, TooManyRequests and
  // InternalServerError are classed by their status (401, 429, 500).
  errorClasses: {},
};
