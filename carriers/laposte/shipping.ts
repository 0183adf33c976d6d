/**
 * @module carriers/laposte/shipping
 * No label API: La Poste Okapi, as wired here, is Suivi (tracking) only
 * (`../shared/carrier-specs/laposte/la-poste-groupe-suivi-openapi.json` has no shipment
 * operation). La Poste parcels are labelled through Colissimo, `carriers/colissimo/shipping.ts`.
 * Kept so every carrier folder has the same files; the descriptor leaves `shipping` unset, and an
 * account that configures a `shipping:` block is refused at boot (src/accounts/resolve.ts).
 */
import type { ShippingAdapter } from '../../src/core/shipping-adapter.js';

export const laposteShipping: ShippingAdapter | undefined = undefined;
