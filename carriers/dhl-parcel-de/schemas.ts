/**
 * @module carriers/dhl-parcel-de/schemas
 * The Parcel DE token response: an opaque token of at most 50 characters, integer expires_in
 * (pp-account-auth-ropc_0.yaml TokenResponse; [DHL-ROPC] 4).
 */
import { z } from 'zod';

export const dhlParcelDeTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1).max(50),
  token_type: z.string(),
  expires_in: z.number().int(),
});
