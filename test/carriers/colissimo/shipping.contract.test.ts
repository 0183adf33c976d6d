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

import { expect } from 'vitest';

import { colissimoShipping, colissimoShippingSettingsSchema } from '../../../carriers/colissimo/shipping.js';
import type { ShipmentRequest } from '../../../src/core/shipment.js';
import { BERLIN_DAHLEM, LYON, PARIS as PARIS_BASE, shipmentWith } from '../../support/addresses.js';
import { describeShippingContract } from '../../support/shipping-contract.js';

/** The public REST base an account points at (carriers/colissimo/api.ts). */
const API_BASE = 'https://ws.colissimo.fr/sls-ws/SlsServiceWSRest/2.0';

const PARIS = { ...PARIS_BASE, street: ['1 rue de Rivoli', 'Bâtiment B'] };
const BERLIN = {
  ...BERLIN_DAHLEM,
  company: 'Kaiser-Wilhelm-Institut für Chemie und andere lange Namen',
  street: ['Thielallee 63', 'Haus 2', 'Raum 101'],
  email: 'lise@example.de',
};

const shipment = shipmentWith({ shipper: PARIS, recipient: LYON });

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

type Body = { outputFormat?: Record<string, unknown>; letter: Record<string, Record<string, unknown>> };
const FIRST = SHIPMENTS[0]!.name;

describeShippingContract<Body>({
  title: 'Colissimo shipping adapter requests against laposte/colissimo-shipping-openapi.json',
  specFile: 'laposte/colissimo-shipping-openapi.json',
  operationId: 'generateLabel_1',
  options: { serverBase: API_BASE },
  // The wire request: the adapter's call under the account's base, plus the account's apiKey.
  // Service.depositDate is the one field validated against the spec's example rather than its
  // keyword: the schema says `format: date-time`, its description's example is "2022-06-25", and
  // the observed client (karrio) sends a plain date, as the adapter does (checked in `check`). The
  // date goes to the kit as that day's midnight, so every other keyword still applies to it.
  onTheWire: (call) => ({
    method: call.method,
    url: `${API_BASE}/${call.path}`,
    headers: { ...call.headers, apiKey: 'colissimo-contract-dummy-key' },
    body: call.body.replace(/"depositDate":"(\d{4}-\d{2}-\d{2})"/, '"depositDate":"$1T00:00:00Z"'),
  }),
  valid: SHIPMENTS.map(({ name, request, settings = {} }) => ({
    name,
    call: () =>
      colissimoShipping.build({
        shipment: request,
        settings: colissimoShippingSettingsSchema.parse(settings),
        carrierIdempotencyKey: randomUUID(),
        shipmentId: 'shp_01HZX3K9V7Q2M4N8P6R5T1W0YA',
      }),
  })),
  check: (call) => {
    expect(call.body).not.toMatch(/contractNumber|password/);
    expect(call.body).toMatch(/"depositDate":"\d{4}-\d{2}-\d{2}"/);
  },
  negatives: [
    {
      name: 'required blocks and fields gone',
      from: FIRST,
      controls: [
        {
          body: (body) => delete body.outputFormat,
          errors: ["body: must have required property 'outputFormat'"],
        },
        {
          body: (body) => delete body.letter['service']!['productCode'],
          errors: ["body/letter/service: must have required property 'productCode'"],
        },
        {
          body: (body) => delete body.letter['parcel']!['weight'],
          errors: ["body/letter/parcel: must have required property 'weight'"],
        },
        {
          body: (body) => delete (body.letter['addressee']!['address'] as Record<string, unknown>)['zipCode'],
          errors: ["body/letter/addressee/address: must have required property 'zipCode'"],
        },
      ],
    },
    {
      name: 'wrong types and formats',
      from: FIRST,
      controls: [
        { body: (body) => (body.outputFormat!['x'] = 0.5), includes: 'body/outputFormat/x: must be integer' },
        {
          body: (body) => (body.letter['parcel']!['weight'] = '1.2'),
          errors: ['body/letter/parcel/weight: must be number'],
        },
        {
          // Neither the keyword's date-time nor the example's plain date.
          body: (body) => (body.letter['service']!['depositDate'] = 'tomorrow'),
          errors: ['body/letter/service/depositDate: must match format "date-time"'],
        },
      ],
    },
    {
      name: 'the internal base path of the spec is not where accounts point',
      from: FIRST,
      controls: [
        { options: {}, only: /^no operation in laposte\/colissimo-shipping-openapi\.json matches POST/ },
      ],
    },
  ],
});
