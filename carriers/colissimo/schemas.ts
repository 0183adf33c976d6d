/**
 * @module carriers/colissimo/schemas
 * Colissimo answers carry a `messages` list with `id`, `type` and `messageContent`
 * (colissimo-shipping-openapi.json). There is no token response: the key is static.
 */
import { z } from 'zod';

export const colissimoMessagesSchema = z.looseObject({
  messages: z
    .array(
      z.looseObject({
        id: z.string().optional(),
        type: z.string().optional(),
        messageContent: z.string().optional(),
      }),
    )
    .optional(),
});
