/**
 * @module carriers/oauth2/shipping
 * No label API: the generic OAuth 2.0 adapter knows how to obtain tokens from any RFC 6749
 * server, not what the API behind it looks like, so there is no shipment model to map onto.
 * Kept so every carrier folder has the same files; the descriptor leaves `shipping` unset, and an
 * account that configures a `shipping:` block is refused at boot (src/accounts/resolve.ts).
 */
import type { ShippingAdapter } from '../../src/core/shipping-adapter.js';

export const oauth2Shipping: ShippingAdapter | undefined = undefined;
