/**
 * @module carriers/usps/schemas
 * The USPS token response: the spec types expires_in and issued_at as integers and real answers
 * carry numbers, while the README examples show strings, so both are accepted ([USPS-OAUTH] 5.4,
 * [USPS-I84], [USPS-README]). `public_key` is a base64 PEM to verify the RS256 JWT.
 */
import { z } from 'zod';

const integerOrNumericString = z.union([z.number().int(), z.string().regex(/^\d+$/)]);

export const uspsTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1),
  token_type: z.string(),
  expires_in: integerOrNumericString,
  issued_at: integerOrNumericString.optional(),
  status: z.string().optional(),
  scope: z.string().optional(),
  public_key: z.string().optional(),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: integerOrNumericString.optional(),
});
