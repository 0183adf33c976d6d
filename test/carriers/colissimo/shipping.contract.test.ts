/**
 * @module test/carriers/colissimo/shipping.contract.test
 *
 * Owns the proof that the label request the Colissimo shipping adapter builds is what the
 * Colissimo SLS OpenAPI document (../shared/carrier-specs/laposte/colissimo-shipping-openapi.json)
 * accepts: the output of `colissimoShipping.build` for several shipments, under the public API
 * base and with the `apiKey` header the gateway adds, is validated as `generateLabel_1`. The
 * document's `servers` is an internal host with another base path, so the account's base is
 * passed as `serverBase` (as test/carriers/laposte/gateway.contract.test.ts does). Negative controls break
 * the same request the way a faulty adapter would and must fail.
 */
import { randomUUID } from 'node:crypto';

import { beforeAll, expect, it } from 'vitest';

import { colissimoShipping, colissimoShippingSettingsSchema } from '../../../carriers/colissimo/shipping.js';
import type { ShippingCall } from '../../../src/core/shipping-adapter.js';
import { shipmentRequestSchema, type ShipmentRequest } from '../../../src/core/shipment.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractRequest,
  type ContractResult,
  type ContractSpec,
} from '../../support/openapi-contract.js';

/** The public REST base an account points at (carriers/colissimo/api.ts). */
const API_BASE = 'https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0';

const PARIS = {
  name: 'Marie Curie',
  company: 'Boutique Rivoli',
  street: ['1 rue de Rivoli', 'Bâtiment B'],
  city: 'Paris',
  postalCode: '75001',
  countryCode: 'FR',
  phone: '+33 1 23 45 67 89',
  email: 'marie@example.fr',
};
const LYON = {
  name: 'Louis Pasteur',
  street: ['2 place Bellecour'],
  city: 'Lyon',
  postalCode: '69002',
  countryCode: 'FR',
};
const BERLIN = {
  name: 'Lise Meitner',
  company: 'Kaiser-Wilhelm-Institut für Chemie und andere lange Namen',
  street: ['Thielallee 63', 'Haus 2', 'Raum 101'],
  city: 'Berlin',
  postalCode: '14195',
  countryCode: 'DE',
  phone: '+49 30 838 1',
  email: 'lise@example.de',
};

const shipment = (fields: Record<string, unknown>): ShipmentRequest =>
  shipmentRequestSchema.parse({ service: 'standard', shipper: PARIS, recipient: LYON, ...fields });

const SHIPMENTS: { name: string; request: ShipmentRequest; settings?: Record<string, unknown> }[] = [
  {
    name: 'domestic, PDF, the smallest weight, a reference',
    request: shipment({ parcels: [{ weightKg: 0.004 }], reference: 'commande-42' }),
  },
  {
    name: 'to Germany, ZPL at 203 dpi, three street lines, phone and email',
    request: shipment({ recipient: BERLIN, parcels: [{ weightKg: 29.995 }], labelFormat: 'ZPL' }),
  },
  {
    name: 'ZPL at 300 dpi with a commercial name, no company, no reference',
    request: shipment({
      shipper: { ...PARIS, company: undefined },
      parcels: [{ weightKg: 5.5 }],
      labelFormat: 'ZPL',
    }),
    settings: { zplDpi: 300, commercialName: 'Ma Boutique' },
  },
];

function build(request: ShipmentRequest, settings: Record<string, unknown> = {}): ShippingCall {
  return colissimoShipping.build({
    shipment: request,
    settings: colissimoShippingSettingsSchema.parse(settings),
    carrierIdempotencyKey: randomUUID(),
    shipmentId: 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA',
  });
}

/** The wire request: the adapter's call under the account's base, plus the account's apiKey. */
const onTheWire = (call: ShippingCall): ContractRequest => ({
  method: call.method,
  url: `${API_BASE}/${call.path}`,
  headers: { ...call.headers, apiKey: 'colissimo-contract-dummy-key' },
  body: call.body,
});

function expectValid(result: ContractResult): void {
  expect(result.errors, `contract errors:\n${result.errors.join('\n')}`).toEqual([]);
  expect(result.ok).toBe(true);
  expect(result.operationId).toBe('generateLabel_1');
}

type Body = { outputFormat?: Record<string, unknown>; letter: Record<string, Record<string, unknown>> };
const withBody = (req: ContractRequest, edit: (body: Body) => void): ContractRequest => {
  const body = JSON.parse(req.body as string) as Body;
  edit(body);
  return { ...req, body: JSON.stringify(body) };
};

describeContract(
  'Colissimo shipping adapter requests against laposte/colissimo-shipping-openapi.json',
  () => {
    let spec: ContractSpec;
    const validate = (req: ContractRequest) => validateRequest(spec, req, { serverBase: API_BASE });
    beforeAll(async () => {
      spec = await loadSpec('laposte/colissimo-shipping-openapi.json');
    });

    it.each(SHIPMENTS)('$name: a valid generateLabel request', ({ request, settings }) => {
      const call = build(request, settings);
      expect(call.body).not.toMatch(/contractNumber|password/);
      expectValid(validate(onTheWire(call)));
    });

    it('negative control: required blocks and fields gone', () => {
      const wire = onTheWire(build(SHIPMENTS[0]!.request));
      expect(validate(withBody(wire, (body) => delete body.outputFormat)).errors).toEqual([
        "body: must have required property 'outputFormat'",
      ]);
      expect(
        validate(withBody(wire, (body) => delete body.letter['service']!['productCode'])).errors,
      ).toEqual(["body/letter/service: must have required property 'productCode'"]);
      expect(validate(withBody(wire, (body) => delete body.letter['parcel']!['weight'])).errors).toEqual([
        "body/letter/parcel: must have required property 'weight'",
      ]);
      expect(
        validate(
          withBody(
            wire,
            (body) => delete (body.letter['addressee']!['address'] as Record<string, unknown>)['zipCode'],
          ),
        ).errors,
      ).toEqual(["body/letter/addressee/address: must have required property 'zipCode'"]);
    });

    it('negative control: wrong types and formats', () => {
      const wire = onTheWire(build(SHIPMENTS[0]!.request));
      expect(validate(withBody(wire, (body) => (body.outputFormat!['x'] = 0.5))).errors).toContain(
        'body/outputFormat/x: must be integer',
      );
      expect(validate(withBody(wire, (body) => (body.letter['parcel']!['weight'] = '1.2'))).errors).toEqual([
        'body/letter/parcel/weight: must be number',
      ]);
      // The spec's own "2022-06-25" example is not a date-time: the adapter must send a full one.
      expect(
        validate(withBody(wire, (body) => (body.letter['service']!['depositDate'] = '2022-06-25'))).errors,
      ).toEqual(['body/letter/service/depositDate: must match format "date-time"']);
    });

    it('negative control: the internal base path of the spec is not where accounts point', () => {
      const wire = onTheWire(build(SHIPMENTS[0]!.request));
      const errors = validateRequest(spec, wire).errors;
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatch(/^no operation in laposte\/colissimo-shipping-openapi\.json matches POST/);
    });
  },
);
