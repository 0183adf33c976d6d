/**
 * @module carriers/laposte/schemas
 * The Okapi error body on the wire ({code, message}, [LP-AUTH-EV], [KAR-LP] schemas/error.json).
 * The OAuth mode's token response is RFC 6749 5.1.
 */
import { z } from 'zod';

export const laposteErrorSchema = z.looseObject({ code: z.string(), message: z.string().optional() });

export const laposteTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/)]),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});
