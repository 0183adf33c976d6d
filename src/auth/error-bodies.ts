/**
 * @module auth/error-bodies
 * Reads the carrier's own error code and message out of a response body, for the three body
 * shapes the carriers use. Returns null when the body carries no error.
 */
import { z } from 'zod';

import type { ErrorBodyShape } from '../core/carrier.js';

export interface CarrierErrorInfo {
  code: string;
  message?: string;
}

const codeAndMessage = z.looseObject({
  code: z.union([z.string(), z.number()]),
  message: z.string().optional(),
});

// UPS: {"response":{"errors":[{"code":"10401","message":"..."}]}} (OAuthClientCredentials.yaml).
const upsShape = z.looseObject({ response: z.looseObject({ errors: z.array(codeAndMessage).min(1) }) });
// FedEx: {"transactionId":"...","errors":[{"code":"NOT.AUTHORIZED.ERROR","message":"..."}]}.
const errorsArrayShape = z.looseObject({ errors: z.array(codeAndMessage).min(1) });
// RFC 6749 5.2: {"error":"invalid_client","error_description":"..."}.
const rfc6749Shape = z.looseObject({ error: z.string().min(1), error_description: z.string().optional() });

function first(errors: z.infer<typeof codeAndMessage>[]): CarrierErrorInfo {
  const [head] = errors;
  const info: CarrierErrorInfo = { code: String(head!.code) };
  if (head!.message !== undefined) info.message = head!.message;
  return info;
}

const readers: Record<ErrorBodyShape, (body: unknown) => CarrierErrorInfo | null> = {
  'ups-response-errors': (body) => {
    const parsed = upsShape.safeParse(body);
    return parsed.success ? first(parsed.data.response.errors) : null;
  },
  'errors-array': (body) => {
    const parsed = errorsArrayShape.safeParse(body);
    return parsed.success ? first(parsed.data.errors) : null;
  },
  rfc6749: (body) => {
    const parsed = rfc6749Shape.safeParse(body);
    if (!parsed.success) return null;
    const info: CarrierErrorInfo = { code: parsed.data.error };
    if (parsed.data.error_description !== undefined) info.message = parsed.data.error_description;
    return info;
  },
};

/**
 * Tries the carrier's own shape first, then the RFC 6749 shape: a server behind a carrier's
 * gateway sometimes answers in plain OAuth form.
 */
export function readCarrierError(shape: ErrorBodyShape, body: unknown): CarrierErrorInfo | null {
  return readers[shape](body) ?? (shape === 'rfc6749' ? null : readers.rfc6749(body));
}
