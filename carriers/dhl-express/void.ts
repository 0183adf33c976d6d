/**
 * @module carriers/dhl-express/void
 * MyDHL API offers no void. Source: carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml: its
 * operations on an existing shipment are tracking, proof-of-delivery, upload-image,
 * upload-invoice-data, get-image and add-piece (`/shipments/{shipmentTrackingNumber}/…`); no
 * DELETE or cancel of a shipment exists. The one cancellation is of a pickup booking,
 * `DELETE /pickups/{dispatchConfirmationNumber}` (exp-api-pickups-cancel). So a void answers a
 * documented 422 (ERR_VOID_NOT_OFFERED) saying so.
 */
import type { VoidNotOffered } from '../../src/core/shipping-adapter.js';

export const dhlExpressVoid: VoidNotOffered = {
  offered: false,
  instead:
    'the MyDHL API (3.1.1) has no operation to void or cancel a shipment; it can only cancel a pickup booking (DELETE /pickups/{dispatchConfirmationNumber}). Contact DHL Express to cancel the waybill.',
  sources: ['../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml paths, exp-api-pickups-cancel'],
};
