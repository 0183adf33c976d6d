/**
 * @module test/carriers/fedex/rules-corpus.test
 * FedEx's rule-breaking shipments (carriers/fedex/rules.ts): each is refused by the gateway's
 * pre-check and, sent anyway, by the FedEx simulator (test/carriers/rule-corpus.ts).
 */
import { randomUUID } from 'node:crypto';

import { fedexShipping, fedexShippingSettingsSchema } from '../../../carriers/fedex/shipping.js';
import { FEDEX_PATHS, startFedexSimulator } from '../../../carriers/fedex/simulator.js';
import { MEMPHIS, PITTSBURGH, RICHMOND_BC, shipmentWith } from '../../support/addresses.js';
import { registerSecrets } from '../../support/log-capture.js';
import { accessToken, form } from '../../support/sim-http.js';
import { CUSTOMS_USD, without } from '../customs-fixtures.js';
import { describeRuleCorpus } from '../rule-corpus.js';

const CLIENT = { clientId: 'fedex-corpus-key', clientSecret: `fedex-corpus-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
const shipment = shipmentWith({
  shipper: MEMPHIS,
  recipient: RICHMOND_BC,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_USD,
});

describeRuleCorpus({
  carrier: 'FedEx',
  adapter: fedexShipping,
  settings: fedexShippingSettingsSchema.parse({ accountNumber: '740561073' }),
  async start() {
    const sim = await startFedexSimulator({ clients: [CLIENT] });
    const token = await accessToken(
      `${sim.url}${FEDEX_PATHS.token}`,
      form({
        grant_type: 'client_credentials',
        client_id: CLIENT.clientId,
        client_secret: CLIENT.clientSecret,
      }),
    );
    return { sim, base: sim.url, headers: (call) => ({ ...call.headers, authorization: `Bearer ${token}` }) };
  },
  cases: [
    {
      what: 'US to CA without customs (no customsClearanceDetail)',
      shipment: shipment({ customs: undefined }),
      field: 'customs',
      status: 400,
      code: 'SHIPMENT.VALIDATION.ERROR',
    },
    {
      what: 'a recipient without a phone',
      shipment: shipment({ recipient: without(RICHMOND_BC, 'phone') }),
      field: 'recipient.phone',
      status: 400,
      code: 'SHIPMENT.VALIDATION.ERROR',
    },
    {
      what: 'a domestic shipper without a phone',
      shipment: shipment({ shipper: without(MEMPHIS, 'phone'), recipient: PITTSBURGH, customs: undefined }),
      field: 'shipper.phone',
      status: 400,
      code: 'SHIPMENT.VALIDATION.ERROR',
    },
    {
      what: 'Germany to Germany, where FEDEX_GROUND is no product',
      shipment: shipment({
        shipper: { ...RICHMOND_BC, countryCode: 'DE', stateCode: undefined },
        recipient: { ...RICHMOND_BC, countryCode: 'DE', stateCode: undefined },
        customs: undefined,
      }),
      field: 'not_supported',
      status: 400,
    },
  ],
});
