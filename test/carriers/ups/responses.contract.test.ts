/**
 * @module test/carriers/ups/responses.contract.test
 * Every answer of the UPS simulator's ship operation against ../shared/carrier-specs/ups/Shipping.yaml:
 * the 200 as SHIPResponseWrapper, and each shipment fault and rule refusal as ErrorResponse; its
 * Label Recovery 200 as LABELRECOVERYResponseWrapper (but for the spec's own contradiction on
 * LabelImageFormat.Code) and a refusal as ErrorResponse.
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
import { upsLabelRecovery } from '../../../carriers/ups/lookup.js';
import { responseErrors, responseSchemas } from '../response-schemas.js';

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
  let errorsOf: Awaited<ReturnType<typeof responseErrors>>;

  beforeAll(async () => {
    expectSchema = await responseSchemas('ups/Shipping.yaml');
    errorsOf = await responseErrors('ups/Shipping.yaml');
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

  it('Label Recovery: the label again in the format asked (LABELRECOVERYResponseWrapper), nothing new made', async () => {
    const made = await ship(shipment({ labelFormat: 'ZPL' }));
    const numbers = (
      made.body as { ShipmentResponse: { ShipmentResults: { PackageResults: { TrackingNumber: string }[] } } }
    ).ShipmentResponse.ShipmentResults.PackageResults.map((result) => result.TrackingNumber);
    const labelsCreated = sim.stats().labelsCreated;
    const recover = (trackingNumber: string, labelFormat: 'PDF' | 'ZPL') => {
      const built = upsLabelRecovery.build(
        {
          settings: { shipperNumber: 'A1B2C3' },
          trackingNumbers: numbers,
          shipment: shipment({ labelFormat }),
          carrierIdempotencyKey: randomUUID(),
          shipmentId: 'shp_responses',
        },
        trackingNumber,
      );
      const headers = { ...built.headers, authorization: `Bearer ${token}` };
      decorateUpsRequest({ method: built.method, path: `/${built.path}`, headers });
      return call(`${sim.url}/${built.path}`, { method: built.method, headers, body: built.body! });
    };
    for (const labelFormat of ['PDF', 'ZPL'] as const) {
      const reply = await recover(numbers[1]!, labelFormat);
      expect(reply.status).toBe(200);
      const code = labelFormat === 'PDF' ? 'GIF' : 'ZPL';
      // LabelImage_LabelImageFormat.Code: minLength 4, yet "Valid value returned is GIF or PDF".
      expect(errorsOf('LABELRECOVERYResponseWrapper', reply.body)).toEqual(
        numbers.map(
          (_n, index) =>
            `/LabelRecoveryResponse/LabelResults/${index}/LabelImage/LabelImageFormat/Code: must NOT have fewer than 4 characters`,
        ),
      );
      const read = upsLabelRecovery.read(reply.status, JSON.stringify(reply.body))!;
      expect(read.map((result) => result.trackingNumber)).toEqual(numbers);
      expect(read.every((result) => result.label.format === code)).toBe(true);
    }
    expect(sim.stats().labelsCreated).toBe(labelsCreated);

    sim.ledger.void(numbers[0]!);
    const gone = await recover(numbers[0]!, 'PDF');
    expect(gone.status).toBe(400);
    expectSchema('ErrorResponse', gone.body);
  });
});
