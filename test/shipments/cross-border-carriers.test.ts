/**
 * @module test/shipments/cross-border-carriers.test
 * Cross-border labels through `POST /v1/shipments` at the carriers beyond UPS and FedEx, each
 * against its strict simulator: DHL Parcel DE outside the EU sends the customs block as
 * CustomsDetails (the simulator refuses an order to a non-EU consignee without them, so a label
 * made is proof they were there and well formed), and without a customs block the gateway answers
 * 422 ERR_SHIPMENT_RULES_UNMET naming the field, the rule and its source, with nothing sent.
 * Colissimo answers its label as multipart (a JSON part and the binary label part): the label
 * reaches the shop byte for byte.
 */
import { randomUUID } from 'node:crypto';

import { describe, expect, it } from 'vitest';

import { startColissimoSimulator } from '../../carriers/colissimo/simulator.js';
import { startDhlParcelDeSimulator } from '../../carriers/dhl-parcel-de/simulator.js';
import { BONN, PARIS, ZURICH } from '../support/addresses.js';
import { postShipment } from '../support/gateway-client.js';
import { registerSecrets } from '../support/log-capture.js';
import { colissimoAccount, dhlParcelDeAccount, useCarrierGateway } from '../support/shipping-accounts.js';
import { CUSTOMS_EUR } from '../carriers/customs-fixtures.js';

const SHOP_KEY = `cross-border-${randomUUID()}`;
const DHL_CLIENT = { clientId: 'xborder-dhl-app', clientSecret: `dhl-secret-${randomUUID()}` };
const DHL_USER = { username: 'xborder-gkp-user', password: `gkp-pw-${randomUUID()}` };
const COLISSIMO = { clientId: '800123', clientSecret: `colissimo-key-${randomUUID()}` };
registerSecrets(SHOP_KEY, DHL_CLIENT.clientSecret, DHL_USER.password, COLISSIMO.clientSecret);

const rig = useCarrierGateway(
  'cross-border',
  SHOP_KEY,
  async () => ({
    colissimo: await startColissimoSimulator({ clients: [COLISSIMO] }),
    dhl: await startDhlParcelDeSimulator({ clients: [DHL_CLIENT], users: [DHL_USER] }),
  }),
  ({ dhl, colissimo }) => [
    dhlParcelDeAccount('dhl-de', dhl, { ...DHL_CLIENT, ...DHL_USER }),
    colissimoAccount('colissimo', colissimo, COLISSIMO),
  ],
);

const TO_ZURICH = {
  service: 'standard',
  shipper: { ...BONN, phone: '+49 123456789' },
  recipient: ZURICH,
  parcels: [{ weightKg: 1.2 }],
};

describe('DHL Parcel DE outside the EU', () => {
  it('with a customs block: a V53WPAK label the strict simulator accepts', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, {
      shipment: { ...TO_ZURICH, customs: CUSTOMS_EUR },
      accounts: ['dhl-de'],
    });
    expect(created.status, created.text).toBe(201);
    const [number] = created.body['trackingNumbers'] as string[];
    expect(rig.sims.dhl.ledger.find(number!)).toBeDefined();
    expect(rig.sims.dhl.stats().labelsCreated).toBe(1);
  });

  it('without one: 422 naming customs, the rule and its source; nothing reaches DHL', async () => {
    const before = rig.sims.dhl.stats();
    const refused = await postShipment(rig.gateway, SHOP_KEY, { shipment: TO_ZURICH, accounts: ['dhl-de'] });
    expect(refused.status, refused.text).toBe(422);
    expect(refused.body).toMatchObject({ code: 'ERR_SHIPMENT_RULES_UNMET' });
    expect(refused.body['violations']).toEqual([
      {
        account: 'dhl-de',
        field: 'customs',
        rule: expect.stringContaining('outside the European customs union'),
        source: expect.stringContaining('parcel-de-shipping-v2_2.yaml #/components/schemas/CustomsDetails'),
      },
    ]);
    expect(rig.sims.dhl.stats()).toMatchObject({
      apiRequests: before.apiRequests,
      labelsCreated: before.labelsCreated,
    });
  });
});

describe('Colissimo outside the EU', () => {
  it('the multipart answer read back: the binary PDF label reaches the shop byte for byte', async () => {
    const created = await postShipment(rig.gateway, SHOP_KEY, {
      shipment: {
        service: 'standard',
        shipper: PARIS,
        recipient: ZURICH,
        parcels: [{ weightKg: 0.8 }],
        customs: CUSTOMS_EUR,
      },
      accounts: ['colissimo'],
    });
    expect(created.status, created.text).toBe(201);
    expect(created.body['trackingNumbers']).toEqual([expect.stringMatching(/^6A\d{11}$/)]);
    const [label] = created.body['labels'] as { format: string; data: string }[];
    expect(label!.format).toBe('PDF');
    const bytes = Buffer.from(label!.data, 'base64');
    expect(bytes.subarray(0, 9).toString('latin1')).toBe('%PDF-1.4\n');
    // The binary comment line of the simulator's PDF (0xE2 0xE3 0xCF 0xD3), not U+FFFD replacements.
    expect([...bytes.subarray(10, 14)]).toEqual([0xe2, 0xe3, 0xcf, 0xd3]);
    expect(rig.sims.colissimo.stats().labelsCreated).toBe(1);
  });
});
