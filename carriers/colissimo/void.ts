/**
 * @module carriers/colissimo/void
 * The Colissimo web service offers no void. Source: carrier-specs/laposte/colissimo-shipping-openapi.json:
 * its operations are checkGenerateLabel, generateLabel, generateCN23, getLabel,
 * getListMailBoxPickingDates, planPickup (and SlsInternalService checks), generateBordereauByParcelsNumbers,
 * generateToken and getProductInter; none cancels or deletes a parcel. So a void answers a
 * documented 422 (ERR_VOID_NOT_OFFERED) saying so.
 */
import type { VoidNotOffered } from '../../src/core/shipping-adapter.js';

export const colissimoVoid: VoidNotOffered = {
  offered: false,
  instead:
    'the Colissimo shipping web service has no operation to cancel or void a parcel (it offers label generation, label retrieval, pickup planning and the bordereau only)',
  sources: ['../shared/carrier-specs/laposte/colissimo-shipping-openapi.json paths'],
};
