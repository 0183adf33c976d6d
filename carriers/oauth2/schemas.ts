/**
 * @module carriers/oauth2/schemas
 * RFC 6749 5.1 successful response. `expires_in` is RECOMMENDED (a number); some servers send a
 * numeric string, which the engine accepts.
 */
import { z } from 'zod';

export const oauth2TokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/)]).optional(),
  refresh_token: z.string().min(1).optional(),
  scope: z.string().optional(),
});
