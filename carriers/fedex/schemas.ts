/**
 * @module carriers/fedex/schemas
 * The FedEx token response on the wire: integer `expires_in`, lower-case `bearer`
 * (APIAuthorization-Resource.json `Response`; real responses in [KAR-FDX] tests).
 */
import { z } from 'zod';

export const fedexTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.number().int(),
  scope: z.string().optional(),
});
