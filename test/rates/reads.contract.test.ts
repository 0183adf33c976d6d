/**
 * @module test/rates/reads.contract.test
 *
 * Owns the proof that every rate and tracking request the gateway's adapters build is what the
 * carrier's published OpenAPI document accepts (../shared/carrier-specs): UPS Rating and
 * Tracking, FedEx Rate Quotes and Track, USPS Domestic Prices and Tracking v3, MyDHL rates and
 * tracking, La Poste Suivi.
 * Each call is put on the wire as the core sends it (the credential header, UPS's per-request
 * headers) and validated; each spec also gets negative controls, the same request broken the
 * way a faulty adapter would break it, which must fail, so a pass means something.
 */
import { beforeAll, expect, it } from 'vitest';

import { decorateUpsRequest } from '../../carriers/ups/api.js';
import { upsRates } from '../../carriers/ups/rates.js';
import { upsTracking } from '../../carriers/ups/tracking.js';
import { fedexRates } from '../../carriers/fedex/rates.js';
import { fedexTracking } from '../../carriers/fedex/tracking.js';
import { uspsRates } from '../../carriers/usps/rates.js';
import { uspsTracking } from '../../carriers/usps/tracking.js';
import { laposteTracking } from '../../carriers/laposte/tracking.js';
import { dhlExpressRates } from '../../carriers/dhl-express/rates.js';
import { dhlExpressTracking } from '../../carriers/dhl-express/tracking.js';
import type { CarrierReadCall } from '../../src/core/rates-adapter.js';
import { BERLIN_DAHLEM, GOETTINGEN, LOS_ANGELES, NEW_YORK, shipmentWith } from '../support/addresses.js';
import { expectValid } from '../support/contract-checks.js';
import {
  describeContract,
  loadSpec,
  validateRequest,
  type ContractRequest,
  type ContractSpec,
} from '../support/openapi-contract.js';

const US = shipmentWith({ shipper: NEW_YORK, recipient: LOS_ANGELES, parcels: [{ weightKg: 1 }] });
const SHIPMENTS = {
  'US domestic, one parcel with dimensions': US({
    parcels: [{ weightKg: 2.5, lengthCm: 30, widthCm: 20, heightCm: 10 }],
  }),
  'US to DE, two parcels, express': US({
    recipient: GOETTINGEN,
    service: 'express',
    parcels: [{ weightKg: 1 }, { weightKg: 68 }],
  }),
  'DE domestic, metric': US({
    shipper: GOETTINGEN,
    recipient: BERLIN_DAHLEM,
    parcels: [{ weightKg: 12.34, lengthCm: 120, widthCm: 60, heightCm: 45.5 }],
  }),
};

type Wire = (call: CarrierReadCall) => ContractRequest;
const bearer: Wire = (call) => ({
  method: call.method,
  url: `/${call.path}`,
  headers: { ...call.headers, authorization: 'Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln' },
  ...(call.body !== undefined ? { body: call.body } : {}),
});
const ups: Wire = (call) => {
  const req = bearer(call);
  decorateUpsRequest({ method: call.method, path: req.url, headers: req.headers });
  return req;
};
// MyDHL: HTTP Basic with the API key and secret; the account's API base is the production server,
// https://express.api.dhl.com/mydhlapi.
const mydhl: Wire = (call) => ({
  method: call.method,
  url: `/mydhlapi/${call.path}`,
  headers: { ...call.headers, authorization: `Basic ${Buffer.from('key:secret').toString('base64')}` },
});
const okapi: Wire = (call) => ({
  method: call.method,
  url: `/${call.path}`,
  headers: { ...call.headers, 'x-okapi-key': 'okapi-contract-key' },
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the negative controls reach into nested carrier JSON
type Body = Record<string, any>;
const edit = (req: ContractRequest, change: (body: Body) => void): ContractRequest => {
  const body = JSON.parse(String(req.body)) as Body;
  change(body);
  return { ...req, body: JSON.stringify(body) };
};

interface Suite {
  title: string;
  specFile: string;
  operationId: string;
  calls: [string, CarrierReadCall][];
  wire: Wire;
  /** Each breaks the first call one way; all must be invalid. */
  broken: [string, (req: ContractRequest) => ContractRequest][];
}

const SUITES: Suite[] = [
  {
    title: 'UPS rate requests against Rating.yaml',
    specFile: 'ups/Rating.yaml',
    operationId: 'Rate',
    calls: Object.entries(SHIPMENTS).map(([name, shipment]) => [
      name,
      upsRates.build({ shipment, settings: { shipperNumber: 'A1B2C3' } }),
    ]),
    wire: ups,
    broken: [
      ['no Shipment.Package', (req) => edit(req, (b) => delete b['RateRequest']['Shipment']['Package'])],
      ['no RequestOption', (req) => edit(req, (b) => delete b['RateRequest']['Request']['RequestOption'])],
      [
        'a weight unit without its Description',
        (req) =>
          edit(
            req,
            (b) =>
              delete b['RateRequest']['Shipment']['Package'][0]['PackageWeight']['UnitOfMeasurement'][
                'Description'
              ],
          ),
      ],
      [
        'a 5-character shipper number',
        (req) => edit(req, (b) => (b['RateRequest']['Shipment']['Shipper']['ShipperNumber'] = 'A1B2C')),
      ],
    ],
  },
  {
    title: 'FedEx rate requests against RateQuotes-Resource.json',
    specFile: 'fedex/RateQuotes-Resource.json',
    operationId: 'Rate and Transit times',
    calls: Object.entries(SHIPMENTS).map(([name, shipment]) => [
      name,
      fedexRates.build({
        shipment,
        settings: { accountNumber: '740561073', pickupType: 'DROPOFF_AT_FEDEX_LOCATION' },
      }),
    ]),
    wire: bearer,
    broken: [
      ['no requestedShipment', (req) => edit(req, (b) => delete b['requestedShipment'])],
      [
        'a pickupType outside its enum',
        (req) => edit(req, (b) => (b['requestedShipment']['pickupType'] = 'DROP_BOX')),
      ],
      [
        'a weight unit outside KG/LB',
        (req) =>
          edit(
            req,
            (b) => (b['requestedShipment']['requestedPackageLineItems'][0]['weight']['units'] = 'KGS'),
          ),
      ],
    ],
  },
  {
    title: 'USPS price requests against domestic-prices.yaml',
    specFile: 'usps/domestic-prices.yaml',
    operationId: 'post-rate-list',
    calls: [
      [
        'US domestic, one parcel with dimensions',
        uspsRates.build({ shipment: SHIPMENTS['US domestic, one parcel with dimensions'], settings: {} }),
      ],
    ],
    wire: bearer,
    broken: [
      ['no height', (req) => edit(req, (b) => delete b['height'])],
      ['a 4-digit ZIP', (req) => edit(req, (b) => (b['originZIPCode'] = '1001'))],
      ['an unknown mail class', (req) => edit(req, (b) => (b['mailClasses'] = ['GROUND']))],
    ],
  },
  {
    title: 'MyDHL rate requests against dpdhl-express-api-3.1.1_swagger.yaml',
    specFile: 'dhl/dpdhl-express-api-3.1.1_swagger.yaml',
    operationId: 'exp-api-rates',
    calls: [
      [
        'DE to FR, one dimensioned piece',
        dhlExpressRates.build({
          shipment: US({
            shipper: GOETTINGEN,
            recipient: BERLIN_DAHLEM,
            parcels: [{ weightKg: 2, lengthCm: 30, widthCm: 20, heightCm: 10 }],
          }),
          settings: { shipperAccountNumber: '123456789', contentDescription: 'Goods' },
        }),
      ],
    ],
    wire: mydhl,
    broken: [
      ['without a weight', (req) => ({ ...req, url: req.url.replace(/&weight=[^&]*/, '') })],
      [
        'a unit outside metric/imperial',
        (req) => ({ ...req, url: req.url.replace('unitOfMeasurement=metric', 'unitOfMeasurement=si') }),
      ],
    ],
  },
  {
    title: 'UPS tracking requests against Tracking.yaml',
    specFile: 'ups/Tracking.yaml',
    operationId: 'getSingleTrackResponseUsingGET',
    calls: [['a 1Z number', upsTracking.build('1Z999AA10123456784')]],
    wire: ups,
    broken: [
      [
        'without transId',
        (req) => ({
          ...req,
          headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'transid')),
        }),
      ],
    ],
  },
  {
    title: 'FedEx tracking requests against TrackingNumbers-Resource.json',
    specFile: 'fedex/TrackingNumbers-Resource.json',
    operationId: 'Track by Tracking Number',
    calls: [['a FedEx number', fedexTracking.build('794843185271')]],
    wire: bearer,
    broken: [
      ['without includeDetailedScans', (req) => edit(req, (b) => delete b['includeDetailedScans'])],
      ['without trackingInfo', (req) => edit(req, (b) => delete b['trackingInfo'])],
    ],
  },
  {
    title: 'USPS tracking requests against tracking.yaml',
    specFile: 'usps/tracking.yaml',
    operationId: 'get-package-tracking',
    calls: [['a USPS number', uspsTracking.build('9400100000000000000005')]],
    wire: bearer,
    broken: [
      ['an expand value outside its enum', (req) => ({ ...req, url: req.url.replace('DETAIL', 'FULL') })],
    ],
  },
  {
    title: 'MyDHL tracking requests against dpdhl-express-api-3.1.1_swagger.yaml',
    specFile: 'dhl/dpdhl-express-api-3.1.1_swagger.yaml',
    operationId: 'exp-api-shipments-tracking',
    calls: [['a test waybill', dhlExpressTracking.build('9356579890')]],
    wire: mydhl,
    broken: [
      [
        'a trackingView outside its enum',
        (req) => ({ ...req, url: req.url.replace('all-checkpoints', 'shipment-details') }),
      ],
      [
        'a levelOfDetail outside its enum',
        (req) => ({ ...req, url: req.url.replace('levelOfDetail=shipment', 'levelOfDetail=pieces') }),
      ],
      [
        'without x-version',
        (req) => ({
          ...req,
          headers: Object.fromEntries(Object.entries(req.headers).filter(([name]) => name !== 'x-version')),
        }),
      ],
    ],
  },
  {
    title: 'La Poste tracking requests against la-poste-groupe-suivi-openapi.json',
    specFile: 'laposte/la-poste-groupe-suivi-openapi.json',
    operationId: '1.0',
    calls: [['a Colissimo number', laposteTracking.build('6A12345678901')]],
    wire: okapi,
    broken: [
      ['a lang outside its enum', (req) => ({ ...req, url: req.url.replace('en_GB', 'en_US') })],
      ['without Accept', (req) => ({ ...req, headers: {} })],
    ],
  },
];

for (const suite of SUITES) {
  describeContract(suite.title, () => {
    let spec: ContractSpec;
    beforeAll(async () => {
      spec = await loadSpec(suite.specFile);
    }, 30_000);

    it.each(suite.calls)(`%s: a valid ${suite.operationId} request`, (_name, call) => {
      expectValid(validateRequest(spec, suite.wire(call)), suite.operationId);
    });

    it.each(suite.broken)('negative control: %s is refused', (_name, breakIt) => {
      const result = validateRequest(spec, breakIt(suite.wire(suite.calls[0]![1])));
      expect(result.ok, `expected a complaint, got none`).toBe(false);
      expect(result.errors.length).toBeGreaterThan(0);
    });
  });
}
