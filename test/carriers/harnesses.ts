/**
 * @module test/carriers/harnesses
 * Each carrier's label adapter against its simulator, written once for the tests that send an
 * adapter's built call to the simulator by hand (the rule corpora, the response-schema checks):
 * the adapter and its settings, and a started simulator with the headers the core would add (the
 * token or key the simulator issued, and the carrier's request hook). Fresh credentials per
 * harness, registered with the suite's log scan.
 */
import { randomUUID } from 'node:crypto';

import { COLISSIMO_BASE, startColissimoSimulator } from '../../carriers/colissimo/simulator.js';
import { colissimoShipping, colissimoShippingSettingsSchema } from '../../carriers/colissimo/shipping.js';
import { decorateDhlExpressRequest } from '../../carriers/dhl-express/api.js';
import { dhlExpressShipping, dhlExpressShippingSettingsSchema } from '../../carriers/dhl-express/shipping.js';
import { DHL_EXPRESS_BASE_PATHS, startDhlExpressSimulator } from '../../carriers/dhl-express/simulator.js';
import { decorateDhlParcelDeRequest } from '../../carriers/dhl-parcel-de/api.js';
import {
  dhlParcelDeShipping,
  dhlParcelDeShippingSettingsSchema,
} from '../../carriers/dhl-parcel-de/shipping.js';
import {
  DHL_PARCEL_DE_PATHS,
  DHL_PARCEL_DE_SANDBOX_USER,
  startDhlParcelDeSimulator,
} from '../../carriers/dhl-parcel-de/simulator.js';
import { fedexShipping, fedexShippingSettingsSchema } from '../../carriers/fedex/shipping.js';
import { FEDEX_PATHS, startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { decorateUpsRequest } from '../../carriers/ups/api.js';
import { upsShipping } from '../../carriers/ups/shipping.js';
import { startUpsSimulator, UPS_PATHS } from '../../carriers/ups/simulator.js';
import { uspsShipping, uspsShippingSettingsSchema } from '../../carriers/usps/shipping.js';
import { startUspsSimulator, USPS_PATHS } from '../../carriers/usps/simulator.js';
import type { ShippingAdapter, ShippingCall } from '../../src/core/shipping-adapter.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { accessToken, basic, clientFields, form } from '../support/sim-http.js';
import { USPS_PAYMENT_ROLES } from './usps/fixtures.js';

export interface StartedSimulator {
  sim: SimulatorHandle;
  /** Where the adapter's relative paths are resolved. */
  base: string;
  headers(call: ShippingCall): Record<string, string>;
  close(): Promise<void>;
}

export interface CarrierHarness<Settings> {
  carrier: string;
  adapter: ShippingAdapter<Settings>;
  settings: Settings;
  start(): Promise<StartedSimulator>;
}

const client = (name: string) => {
  const credentials = { clientId: `${name}-client`, clientSecret: `${name}-secret-${randomUUID()}` };
  registerSecrets(credentials.clientSecret);
  return credentials;
};

const started = (
  sim: SimulatorHandle,
  base: string,
  headers: StartedSimulator['headers'],
): StartedSimulator => ({
  sim,
  base,
  headers,
  close: async () => {
    registerIssuedTokens(sim);
    await sim.close();
  },
});

export const upsHarness: CarrierHarness<{ shipperNumber: string }> = {
  carrier: 'UPS',
  adapter: upsShipping,
  settings: { shipperNumber: 'A1B2C3' },
  async start() {
    const credentials = client('ups-harness');
    const sim = await startUpsSimulator({ clients: [credentials] });
    const token = await accessToken(
      `${sim.url}${UPS_PATHS.token}`,
      form(
        { grant_type: 'client_credentials' },
        { authorization: basic(credentials.clientId, credentials.clientSecret) },
      ),
    );
    return started(sim, sim.url, (call) => {
      const headers = { ...call.headers, authorization: `Bearer ${token}` };
      decorateUpsRequest({ method: call.method, path: `/${call.path}`, headers });
      return headers;
    });
  },
};

export const fedexHarness = {
  carrier: 'FedEx',
  adapter: fedexShipping,
  settings: fedexShippingSettingsSchema.parse({ accountNumber: '740561073' }),
  async start() {
    const credentials = client('fedex-harness');
    const sim = await startFedexSimulator({ clients: [credentials] });
    const token = await accessToken(`${sim.url}${FEDEX_PATHS.token}`, form(clientFields(credentials)));
    return started(sim, sim.url, (call) => ({ ...call.headers, authorization: `Bearer ${token}` }));
  },
};

export const dhlParcelDeHarness = {
  carrier: 'DHL Parcel DE',
  adapter: dhlParcelDeShipping,
  // parcel-de-shipping-v2_2.yaml examples: 33333333330102 (V01PAK), 33333333335301 (V53WPAK).
  settings: dhlParcelDeShippingSettingsSchema.parse({
    billingNumbers: { V01PAK: '33333333330102', V53WPAK: '33333333335301' },
  }),
  async start() {
    const credentials = client('dhl-de-harness');
    const sim = await startDhlParcelDeSimulator({ clients: [credentials] });
    const token = await accessToken(
      `${sim.url}${DHL_PARCEL_DE_PATHS.token}`,
      form(clientFields(credentials, { grant_type: 'password', ...DHL_PARCEL_DE_SANDBOX_USER })),
    );
    return started(sim, sim.url, (call) => {
      const headers = { ...call.headers, authorization: `Bearer ${token}` };
      decorateDhlParcelDeRequest({ method: call.method, path: `/${call.path}`, headers });
      return headers;
    });
  },
};

export const uspsHarness = {
  carrier: 'USPS',
  adapter: uspsShipping,
  settings: uspsShippingSettingsSchema.parse({}),
  async start() {
    const credentials = client('usps-harness');
    const sim = await startUspsSimulator({ clients: [credentials] });
    const token = await accessToken(`${sim.url}${USPS_PATHS.token}`, form(clientFields(credentials)));
    // The label call's dependent token ([USPS-PAY] payment authorization), as the core obtains it.
    const payment = await fetch(`${sim.url}${USPS_PATHS.paymentAuthorization}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ roles: USPS_PAYMENT_ROLES }),
    });
    const { paymentAuthorizationToken } = (await payment.json()) as { paymentAuthorizationToken: string };
    return started(sim, sim.url, (call) => ({
      ...call.headers,
      authorization: `Bearer ${token}`,
      'X-Payment-Authorization-Token': paymentAuthorizationToken,
    }));
  },
};

export const mydhlHarness = {
  carrier: 'MyDHL',
  adapter: dhlExpressShipping,
  settings: dhlExpressShippingSettingsSchema.parse({ shipperAccountNumber: '123456789' }),
  async start() {
    const credentials = client('mydhl-harness');
    const authorization = basic(credentials.clientId, credentials.clientSecret);
    registerSecrets(authorization.slice('Basic '.length));
    const sim = await startDhlExpressSimulator({ clients: [credentials] });
    return started(sim, `${sim.url}${DHL_EXPRESS_BASE_PATHS.test}`, (call) => {
      const headers = { ...call.headers, authorization };
      decorateDhlExpressRequest({ method: call.method, path: `/${call.path}`, headers });
      return headers;
    });
  },
};

export const colissimoHarness = {
  carrier: 'Colissimo',
  adapter: colissimoShipping,
  settings: colissimoShippingSettingsSchema.parse({}),
  async start() {
    const contract = { clientId: '800123', clientSecret: `colissimo-harness-key-${randomUUID()}` };
    registerSecrets(contract.clientSecret);
    const sim = await startColissimoSimulator({ clients: [contract] });
    return started(sim, `${sim.url}${COLISSIMO_BASE}`, (call) => ({
      ...call.headers,
      apiKey: contract.clientSecret,
    }));
  },
};
