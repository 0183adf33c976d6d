/**
 * @module test/carriers/responses.contract.test
 * Every answer of the label operation of the UPS, FedEx, DHL Parcel DE, USPS, MyDHL and Colissimo
 * simulators against the response schemas of the carrier's spec: each success (per label format,
 * DHL's multistatus, Colissimo's multipart `jsonInfos` part) and each refusal (a rule broken, bad
 * credentials, every kit shipment fault) is what the spec declares for its status
 * (test/carriers/response-schemas.ts).
 */
import type { ShipmentRequest } from '../../src/core/shipment.js';
import {
  BERLIN_KREUZBERG,
  BONN,
  GOETTINGEN,
  MEMPHIS,
  NEW_YORK,
  PARIS,
  PRAGUE,
  RICHMOND_BC,
  shipmentWith,
  ST_LOUIS,
  WASHINGTON,
  ZURICH,
} from '../support/addresses.js';
import { CUSTOMS_EUR, CUSTOMS_USD } from './customs-fixtures.js';
import {
  colissimoHarness,
  dhlParcelDeHarness,
  fedexHarness,
  mydhlHarness,
  upsHarness,
  uspsHarness,
} from './harnesses.js';
import { describeResponseSchemas, type AnswerCase } from './response-schemas.js';

interface Statuses {
  created: number;
  badToken: number;
  validation_error: number;
  forbidden: number;
  server_error_after_create: number;
}

interface AnswerOptions {
  /** `also` is laid over the case of a status (the schema of an undeclared one, say). */
  also?: Record<number, Partial<AnswerCase>>;
  statuses?: Partial<Statuses>;
  /** Headers that make the carrier refuse the caller (default: a Bearer token it never issued). */
  badCredentials?: Record<string, string>;
}

/** A label per format, bad credentials, and the kit's three shipment faults with the carrier's statuses. */
function answers(shipment: ShipmentRequest, options: AnswerOptions = {}): AnswerCase[] {
  const statuses: Statuses = {
    created: 200,
    badToken: 401,
    validation_error: 400,
    forbidden: 403,
    server_error_after_create: 500,
    ...options.statuses,
  };
  const faults = ['validation_error', 'forbidden', 'server_error_after_create'] as const;
  const cases: AnswerCase[] = [
    { what: 'a PDF label', shipment, status: statuses.created },
    { what: 'a ZPL label', shipment: { ...shipment, labelFormat: 'ZPL' }, status: statuses.created },
    {
      what: 'bad credentials',
      shipment,
      headers: options.badCredentials ?? { authorization: 'Bearer not-a-token' },
      status: statuses.badToken,
    },
    ...faults.map((fault) => ({ what: fault, shipment, fault, status: statuses[fault] })),
  ];
  return cases.map((answer) => ({ ...answer, ...options.also?.[answer.status] }));
}

const usToDe = shipmentWith({
  shipper: NEW_YORK,
  recipient: { ...GOETTINGEN, phone: '+49 551 397766' },
  parcels: [{ weightKg: 1.5 }, { weightKg: 2 }],
  customs: CUSTOMS_USD,
})();
describeResponseSchemas({
  harness: upsHarness,
  specFile: 'ups/Shipping.yaml',
  operation: { method: 'post', path: '/shipments/{version}/ship' },
  shipment: usToDe,
  cases: [
    // Shipping.yaml declares no 500 for the ship operation: the simulator answers the common ErrorResponse.
    ...answers(usToDe, { also: { 500: { undeclared: 'ErrorResponse' } } }),
    { what: 'no customs declaration (a rule)', shipment: { ...usToDe, customs: undefined }, status: 400 },
  ],
});

const usToCa = shipmentWith({
  shipper: MEMPHIS,
  recipient: RICHMOND_BC,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_USD,
})();
describeResponseSchemas({
  harness: fedexHarness,
  specFile: 'fedex/Shipment-Resource.json',
  operation: { method: 'post', path: '/ship/v1/shipments' },
  shipment: usToCa,
  cases: [
    ...answers(usToCa),
    { what: 'no customsClearanceDetail (a rule)', shipment: { ...usToCa, customs: undefined }, status: 400 },
  ],
});

const bonnToBerlin = shipmentWith({
  shipper: { ...BONN, phone: '+49 123456789' },
  recipient: BERLIN_KREUZBERG,
  parcels: [{ weightKg: 1 }],
})();
describeResponseSchemas({
  harness: dhlParcelDeHarness,
  specFile: 'dhl/parcel-de-shipping-v2_2.yaml',
  operation: { method: 'post', path: '/orders' },
  shipment: bonnToBerlin,
  cases: [
    // createOrders declares no 403: the simulator answers a RequestStatus (UNVERIFIED there).
    ...answers(bonnToBerlin, { also: { 403: { undeclared: 'RequestStatus' } } }),
    {
      what: 'two parcels (multistatus)',
      shipment: { ...bonnToBerlin, parcels: [{ weightKg: 1 }, { weightKg: 2 }] },
      status: 207,
    },
    {
      what: 'outside the EU without customs details (a rule)',
      shipment: { ...bonnToBerlin, recipient: ZURICH },
      status: 400,
    },
  ],
});

const domestic = shipmentWith({
  shipper: WASHINGTON,
  recipient: ST_LOUIS,
  parcels: [{ weightKg: 0.8, lengthCm: 23, widthCm: 15, heightCm: 1 }],
})();
describeResponseSchemas({
  harness: uspsHarness,
  specFile: 'usps/domestic-labels.yaml',
  operation: { method: 'post', path: '/label' },
  shipment: domestic,
  cases: answers(domestic, {
    also: {
      401: {
        deviation: {
          instancePath: '/error/errors/0/source',
          source:
            'facts §5 [USPS-I68]: the observed 401 has source "Access Token", a string; ErrorMessage says object',
        },
      },
    },
    statuses: { server_error_after_create: 503 },
  }),
});

const pragueToZurich = shipmentWith({
  shipper: PRAGUE,
  recipient: ZURICH,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_EUR,
})();
const mydhlUndeclared = { undeclared: 'supermodelIoLogisticsExpressErrorResponse' };
describeResponseSchemas({
  harness: mydhlHarness,
  specFile: 'dhl/dpdhl-express-api-3.1.1_swagger.yaml',
  operation: { method: 'post', path: '/shipments' },
  shipment: pragueToZurich,
  cases: [
    ...answers(pragueToZurich, {
      statuses: { created: 201 },
      // createShipment declares no 401 and no 403: the simulator answers the spec's one error
      // shape for both (UNVERIFIED there, facts §3b.5 and §7).
      also: { 401: mydhlUndeclared, 403: mydhlUndeclared },
      badCredentials: { authorization: `Basic ${Buffer.from('unknown:key').toString('base64')}` },
    }),
    {
      what: 'no receiver phone (a rule)',
      shipment: { ...pragueToZurich, recipient: { ...ZURICH, phone: undefined } },
      status: 422,
    },
  ],
});

const parisToZurich = shipmentWith({
  shipper: PARIS,
  recipient: ZURICH,
  parcels: [{ weightKg: 1 }],
  customs: CUSTOMS_EUR,
})();
// generateLabel declares bodies for 200 only; its 400, 403 and 500 have a description and no
// content. The simulator answers them in GenerateLabelV2Response's `messages` shape (UNVERIFIED),
// with the two label fields null as in the recorded error answers ([COL-CODE] plain-JSON 400,
// karrio's multipart 30000), which the schema types as objects without `nullable`.
const colissimoRefusal = {
  undeclared: 'GenerateLabelV2Response',
  deviation: {
    instancePath: ['/labelXmlV2Reponse', '/labelV2Response'],
    source:
      'karrio test_shipment.py [COL-CODE]: recorded errors carry labelXmlV2Reponse and labelV2Response null',
  },
};
describeResponseSchemas({
  harness: colissimoHarness,
  specFile: 'laposte/colissimo-shipping-openapi.json',
  operation: { method: 'post', path: '/generateLabel' },
  shipment: parisToZurich,
  // The spec contradicts itself (docs/carriers/unverified.md): generateLabel's description says
  // MultipartBody with a `jsonInfos` JSON part, its responses.200 says application/json
  // GenerateLabelV2Response. The simulator answers multipart, so the jsonInfos part is held to
  // the 200 schema.
  jsonPart: {
    id: 'jsonInfos',
    source: 'colissimo-shipping-openapi.json generateLabel description, MultipartBody "jsonInfos"',
  },
  cases: [
    ...answers(parisToZurich, {
      statuses: { badToken: 403 },
      badCredentials: { apiKey: 'not-a-key' },
      also: { 400: colissimoRefusal, 403: colissimoRefusal, 500: colissimoRefusal },
    }),
    {
      what: 'no CN23 outside the EU (a rule)',
      shipment: { ...parisToZurich, customs: undefined },
      status: 400,
      ...colissimoRefusal,
    },
  ],
});
