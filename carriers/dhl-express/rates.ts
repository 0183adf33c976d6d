/**
 * @module carriers/dhl-express/rates
 * MyDHL API rates as a rates adapter: `GET /rates` (operationId exp-api-rates, "Retrieve Rates for
 * a one piece Shipment") with the shipment in the query, each `products[]` entry one price.
 * Fields cite ../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml
 * (`components.parameters.<name>`, response `supermodelIoLogisticsExpressRates`).
 *
 * One piece only: the GET takes one weight and one set of dimensions, all required, so a shipment
 * of several parcels or without dimensions is `not_supported` (the multi-piece `POST /rates` is
 * not wired here).
 */
import { parseJson } from '../../src/core/json.js';
import { isoDate, money, type RateQuote, type RatesAdapter } from '../../src/core/rates-adapter.js';
import { isDomestic } from '../../src/core/shipment.js';
import { DHL_EXPRESS_INTERFACE_VERSION } from './api.js';
import type { DhlExpressShippingSettings } from './shipping.js';

export const DHL_EXPRESS_RATES_PATH = 'rates';

type Json = Record<string, unknown>;
const obj = (value: unknown): Json | undefined =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
const array = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/** weight and length/width/height: multipleOf 0.001, length at least 1. */
const thousandth = (value: number) => Math.max(Math.round(value * 1000) / 1000, 0.001);

function quote(product: Json): RateQuote | undefined {
  const code = product['productCode'];
  // totalPrice[].currencyType "'BILLC', billing currency": the price the account pays.
  const prices = array(product['totalPrice']).flatMap((entry): Json[] => (obj(entry) ? [obj(entry)!] : []));
  const price = prices.find((entry) => entry['currencyType'] === 'BILLC') ?? prices[0];
  const amount = money(price?.['price']);
  const currency = price?.['priceCurrency'];
  if (typeof code !== 'string' || amount === undefined || typeof currency !== 'string') return undefined;
  const delivery = obj(product['deliveryCapabilities']);
  const days = delivery?.['totalTransitDays'];
  const date = isoDate(delivery?.['estimatedDeliveryDateAndTime']);
  const name = product['productName'];
  return {
    service: typeof name === 'string' && name !== '' ? name : code,
    serviceCode: code,
    amount,
    currency,
    ...(typeof days === 'number' && Number.isInteger(days) ? { estimatedDays: days } : {}),
    ...(date !== undefined ? { deliveryDate: date } : {}),
  };
}

export const dhlExpressRates: RatesAdapter<DhlExpressShippingSettings> = {
  sources: ['../shared/carrier-specs/dhl/dpdhl-express-api-3.1.1_swagger.yaml'],
  needsShippingSettings: true,
  supports: (shipment) =>
    shipment.parcels.length === 1 &&
    shipment.parcels[0]!.lengthCm !== undefined &&
    shipment.parcels[0]!.widthCm !== undefined &&
    shipment.parcels[0]!.heightCm !== undefined,
  build({ shipment, settings }) {
    const parcel = shipment.parcels[0]!;
    const query = new URLSearchParams({
      accountNumber: settings.shipperAccountNumber,
      originCountryCode: shipment.shipper.countryCode,
      originPostalCode: shipment.shipper.postalCode,
      originCityName: shipment.shipper.city,
      destinationCountryCode: shipment.recipient.countryCode,
      destinationPostalCode: shipment.recipient.postalCode,
      destinationCityName: shipment.recipient.city,
      weight: String(thousandth(parcel.weightKg)),
      length: String(Math.max(1, thousandth(parcel.lengthCm!))),
      width: String(Math.max(1, thousandth(parcel.widthCm!))),
      height: String(Math.max(1, thousandth(parcel.heightCm!))),
      // plannedShippingDate: the date the shipment is handed over (YYYY-MM-DD).
      plannedShippingDate: new Date().toISOString().slice(0, 10),
      // isCustomsDeclarable: goods (true) leave a customs area; a domestic parcel declares nothing.
      isCustomsDeclarable: String(!isDomestic(shipment)),
      unitOfMeasurement: 'metric',
    });
    return {
      method: 'GET',
      path: `${DHL_EXPRESS_RATES_PATH}?${query.toString()}`,
      // xVersionHeader: the interface version the requests are written to.
      headers: { accept: 'application/json', 'x-version': DHL_EXPRESS_INTERFACE_VERSION },
    };
  },
  read(body) {
    const products = obj(parseJson(body))?.['products'];
    if (!Array.isArray(products)) return { kind: 'unreadable' };
    const rates = products.flatMap((product) => {
      const read = obj(product) ? quote(obj(product)!) : undefined;
      return read ? [read] : [];
    });
    return { kind: 'rated', rates };
  },
  errorCode(status, body) {
    // The MyDHL error body (supermodelIoLogisticsExpressErrorResponse): instance, title, status, detail.
    const parsed = obj(parseJson(body));
    return typeof parsed?.['status'] === 'string'
      ? (parsed['status'] as string)
      : status >= 400
        ? String(status)
        : undefined;
  },
};
