/**
 * @module test/carriers/responses.contract.test
 * Every answer of the label operation of the UPS, FedEx, DHL Parcel DE and USPS simulators against
 * the response schemas of the carrier's spec: each success (per label format, and DHL's multistatus)
 * and each refusal (a rule broken, a bad token, every kit shipment fault) is what the spec declares
 * for its status (test/carriers/response-schemas.ts).
 */
import type { ShipmentRequest } from '../../src/core/shipment.js';
import {
  BERLIN_KREUZBERG,
  BONN,
  GOETTINGEN,
  MEMPHIS,
  NEW_YORK,
  RICHMOND_BC,
  shipmentWith,
  ST_LOUIS,
  WASHINGTON,
  ZURICH,
} from '../support/addresses.js';
import { CUSTOMS_USD } from './customs-fixtures.js';
import { dhlParcelDeHarness, fedexHarness, upsHarness, uspsHarness } from './harnesses.js';
import { describeResponseSchemas, type AnswerCase } from './response-schemas.js';

interface Statuses {
  badToken: number;
  validation_error: number;
  forbidden: number;
  server_error_after_create: number;
}

/**
 * A label per format, a bad token, and the kit's three shipment faults with the carrier's
 * statuses; `also` is laid over the case of a status (the schema of an undeclared one, say).
 */
function answers(
  shipment: ShipmentRequest,
  also: Record<number, Partial<AnswerCase>> = {},
  statuses: Statuses = {
    badToken: 401,
    validation_error: 400,
    forbidden: 403,
    server_error_after_create: 500,
  },
): AnswerCase[] {
  const faults = ['validation_error', 'forbidden', 'server_error_after_create'] as const;
  const cases: AnswerCase[] = [
    { what: 'a PDF label', shipment, status: 200 },
    { what: 'a ZPL label', shipment: { ...shipment, labelFormat: 'ZPL' }, status: 200 },
    {
      what: 'a bad token',
      shipment,
      headers: { authorization: 'Bearer not-a-token' },
      status: statuses.badToken,
    },
    ...faults.map((fault) => ({ what: fault, shipment, fault, status: statuses[fault] })),
  ];
  return cases.map((answer) => ({ ...answer, ...also[answer.status] }));
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
    ...answers(usToDe, { 500: { undeclared: 'ErrorResponse' } }),
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
    ...answers(bonnToBerlin, { 403: { undeclared: 'RequestStatus' } }),
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
  cases: answers(
    domestic,
    {
      401: {
        deviation: {
          instancePath: '/error/errors/0/source',
          source:
            'facts §5 [USPS-I68]: the observed 401 has source "Access Token", a string; ErrorMessage says object',
        },
      },
    },
    { badToken: 401, validation_error: 400, forbidden: 403, server_error_after_create: 503 },
  ),
});
