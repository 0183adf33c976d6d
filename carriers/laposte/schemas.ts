/**
 * @module carriers/laposte/schemas
 * The Okapi error body on the wire ({code, message}, [LP-AUTH-EV], [KAR-LP] schemas/error.json).
 * There is no token response: the key is static.
 */
import { z } from 'zod';

export const laposteErrorSchema = z.looseObject({ code: z.string(), message: z.string().optional() });
