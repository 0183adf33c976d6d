/**
 * @module carriers/ups/schemas
 * The UPS token response on the wire: every field is a string, `expires_in` and `issued_at`
 * included (OAuthClientCredentials.yaml `components.schemas.generateTokenSuccessResponse`;
 * OAuthAuthCode.yaml adds the refresh_token fields).
 */
import { z } from 'zod';

const numericString = z.string().regex(/^\d+$/, 'a numeric string');

export const upsTokenResponseSchema = z.looseObject({
  token_type: z.string(),
  issued_at: numericString.optional(),
  client_id: z.string().optional(),
  access_token: z.string().min(1),
  scope: z.string().optional(),
  expires_in: numericString,
  refresh_count: numericString.optional(),
  status: z.string().optional(),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: numericString.optional(),
  refresh_token_status: z.string().optional(),
  refresh_token_issued_at: numericString.optional(),
});
