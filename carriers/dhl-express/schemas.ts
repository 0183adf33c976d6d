/**
 * @module carriers/dhl-express/schemas
 * MyDHL error body on the wire (dpdhl-express-api-3.1.1_swagger.yaml supermodelIoLogisticsExpressErrorResponse:
 * `status` is a string). There is no token response: the credentials are static.
 */
import { z } from 'zod';

export const dhlExpressErrorSchema = z.looseObject({
  instance: z.string().optional(),
  detail: z.string().optional(),
  title: z.string().optional(),
  message: z.string().optional(),
  status: z.string().optional(),
});
