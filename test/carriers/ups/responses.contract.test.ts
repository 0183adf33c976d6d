/**
 * @module test/carriers/ups/responses.contract.test
 * Every answer of the UPS simulator's ship operation against ../shared/carrier-specs/ups/Shipping.yaml:
 * the 200 as SHIPResponseWrapper, and each shipment fault and rule refusal as ErrorResponse.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, expect, it } from 'vitest';

import { decorateUpsRequest } from '../../../carriers/ups/api.js';
import { startUpsSimulator, UPS_PATHS, type UpsSimulatorHandle } from '../../../carriers/ups/simulator.js';
import { upsShipping } from '../../../carriers/ups/shipping.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import { GOETTINGEN, NEW_YORK, shipmentWith } from '../../support/addresses.js';
import { registerSecrets } from '../../support/log-capture.js';
import { describeContract } from '../../support/openapi-contract.js';
import { accessToken, basic, call, form } from '../../support/sim-http.js';
import { CUSTOMS_USD } from '../customs-fixtures.js';
import { responseSchemas } from '../response-schemas.js';

const CLIENT = { clientId: 'ups-responses-client', clientSecret: `ups-responses-secret-${randomUUID()}` };
registerSecrets(CLIENT.clientSecret);
const shipment = shipmentWith({
  shipper: NEW_YORK,
  recipient: { ...GOETTINGEN, phone: '+49 551 397766' },
  parcels: [{ weightKg: 1.5 }, { weightKg: 2 }],
  customs: CUSTOMS_USD,
});

describeContract('UPS simulator answers against the response schemas of ups/Shipping.yaml', () => {
  let sim: UpsSimulatorHandle;
  let token = '';
  let expectSchema: Awaited<ReturnType<typeof responseSchemas>>;

  beforeAll(async () => {
    expectSchema = await responseSchemas('ups/Shipping.yaml');
    sim = await startUpsSimulator({ clients: [CLIENT] });
    token = await accessToken(
      `${sim.url}${UPS_PATHS.token}`,
      form(
        { grant_type: 'client_credentials' },
        { authorization: basic(CLIENT.clientId, CLIENT.clientSecret) },
      ),
    );
  }, 30_000);
  afterAll(() => sim?.close());

  const ship = (request: ShipmentRequest, headers: Record<string, string> = {}) => {
    const built = upsShipping.build({
      shipment: request,
      settings: { shipperNumber: 'A1B2C3' },
      carrierIdempotencyKey: randomUUID(),
      shipmentId: 'shp_responses',
    });
    const all = { ...built.headers, authorization: `Bearer ${token}`, ...headers };
    decorateUpsRequest({ method: built.method, path: `/${built.path}`, headers: all });
    return call(`${sim.url}/${built.path}`, { method: built.method, headers: all, body: built.body });
  };

  it('ship 200 (GIF and ZPL) is a SHIPResponseWrapper', async () => {
    for (const labelFormat of ['PDF', 'ZPL'] as const) {
      const reply = await ship(shipment({ labelFormat }));
      expect(reply.status).toBe(200);
      expectSchema('SHIPResponseWrapper', reply.body);
    }
  });

  it('every shipment fault and rule refusal is an ErrorResponse', async () => {
    const refusals = [
      await ship(shipment({ customs: undefined })),
      await ship(shipment(), { authorization: 'Bearer not-a-token' }),
    ];
    for (const kind of ['validation_error', 'forbidden', 'server_error_after_create'] as const) {
      await sim.setFaults({ shipmentFault: { kind, count: 1 } });
      refusals.push(await ship(shipment()));
    }
    await sim.resetFaults();
    expect(refusals.map((reply) => reply.status)).toEqual([400, 401, 400, 403, 500]);
    for (const reply of refusals) expectSchema('ErrorResponse', reply.body);
  });
});
