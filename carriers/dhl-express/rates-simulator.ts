/**
 * @module carriers/dhl-express/rates-simulator
 * The MyDHL simulator's `GET /rates`: products with made-up prices in the
 * `supermodelIoLogisticsExpressRates` shape of
 * ../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml (src/sim/prices.ts).
 */
import {
  businessDaysAfter,
  json,
  simPrice,
  type SimRequest,
  type SimResponse,
  type SimService,
} from '../../src/sim/index.js';

const REQUIRED = [
  'accountNumber',
  'originCountryCode',
  'originCityName',
  'destinationCountryCode',
  'destinationCityName',
  'weight',
  'length',
  'width',
  'height',
  'plannedShippingDate',
  'isCustomsDeclarable',
  'unitOfMeasurement',
];

/** productName / productCode as the spec's examples name them ("EXPRESS DOMESTIC", "N"). */
const product = (code: string, name: string, base: number, perKg: number, days: number): SimService => ({
  code,
  name,
  base,
  perKg,
  days,
});
const DOMESTIC = [product('N', 'EXPRESS DOMESTIC', 14, 1.8, 1)];
const INTERNATIONAL = [
  product('P', 'EXPRESS WORLDWIDE', 52, 5.5, 2),
  product('U', 'EXPRESS WORLDWIDE', 47, 5, 3),
];

export function dhlExpressRateAnswer(req: SimRequest, now: number): SimResponse {
  const missing = REQUIRED.filter((name) => !req.query.get(name));
  if (missing.length > 0) {
    return json(400, {
      instance: req.path,
      title: 'Missing parameters',
      detail: `Missing mandatory parameters: ${missing.join(', ')}`,
      status: '400',
    });
  }
  const weight = Number(req.query.get('weight'));
  const domestic = req.query.get('originCountryCode') === req.query.get('destinationCountryCode');
  const currency = req.query.get('originCountryCode') === 'US' ? 'USD' : 'EUR';
  return json(200, {
    products: (domestic ? DOMESTIC : INTERNATIONAL).map((svc) => {
      const price = simPrice(svc, weight);
      return {
        productName: svc.name,
        productCode: svc.code,
        weight: { volumetric: 0, provided: weight, unitOfMeasurement: 'metric' },
        totalPrice: [{ currencyType: 'BILLC', priceCurrency: currency, price }],
        deliveryCapabilities: {
          deliveryTypeCode: 'QDDC',
          estimatedDeliveryDateAndTime: `${businessDaysAfter(now, svc.days)}T23:59:00`,
          totalTransitDays: svc.days,
        },
      };
    }),
  });
}
