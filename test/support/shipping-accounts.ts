/**
 * @module test/support/shipping-accounts
 * The two shipping accounts most gateway tests configure: `ups-main` and `fedex-main` pointed at
 * their simulators, with the shipping data each label call needs (the UPS shipper number and the
 * FedEx account number of the carriers' spec examples); and the pair of simulators behind them,
 * started with fresh client credentials that are registered with the suite's log scan.
 */
import { randomUUID } from 'node:crypto';

import { COLISSIMO_BASE } from '../../carriers/colissimo/simulator.js';
import { DHL_PARCEL_DE_PATHS } from '../../carriers/dhl-parcel-de/simulator.js';
import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { USPS_PATHS } from '../../carriers/usps/simulator.js';
import type { SimFaults, SimulatorHandle } from '../../src/sim/index.js';
import { afterAll, beforeAll, beforeEach } from 'vitest';

import { USPS_PAYMENT_ROLES } from '../carriers/usps/fixtures.js';
import { registerIssuedTokens, registerSecrets } from './log-capture.js';
import { TestRedis } from './redis-server.js';
import {
  closeTestGateways,
  closeTestGatewaysAnd,
  startTestGateway,
  type TestGateway,
  type TestGatewayOptions,
} from './test-gateway.js';

interface Reachable {
  url: string;
}

interface ClientCredentials {
  clientId: string;
  clientSecret: string;
}

/** Where each carrier's simulator issues tokens, and the shipping data of its spec examples. */
const MAIN = {
  ups: { tokenPath: '/security/v1/oauth/token', shipping: { shipperNumber: 'A1B2C3' } },
  fedex: { tokenPath: '/oauth/token', shipping: { accountNumber: '740561073' } },
};

function mainAccount(
  carrier: keyof typeof MAIN,
  sim: Reachable,
  credentials: ClientCredentials,
  extra: Record<string, unknown>,
): Record<string, unknown> {
  return {
    id: `${carrier}-main`,
    carrier,
    urls: { token: `${sim.url}${MAIN[carrier].tokenPath}`, api: sim.url },
    credentials,
    shipping: MAIN[carrier].shipping,
    ...extra,
  };
}

export const upsMainAccount = (ups: Reachable, credentials: ClientCredentials, extra = {}) =>
  mainAccount('ups', ups, credentials, extra);

export const fedexMainAccount = (fedex: Reachable, credentials: ClientCredentials, extra = {}) =>
  mainAccount('fedex', fedex, credentials, extra);

/**
 * A `dhl-parcel-de` account at a Parcel DE simulator: the app's client and the GKP user, and the
 * billing numbers of parcel-de-shipping-v2_2.yaml's examples (V01PAK, V53WPAK).
 */
export const dhlParcelDeAccount = (
  id: string,
  dhl: Reachable,
  credentials: ClientCredentials & { username: string; password: string },
) => ({
  id,
  carrier: 'dhl-parcel-de',
  urls: { token: `${dhl.url}${DHL_PARCEL_DE_PATHS.token}`, api: dhl.url },
  credentials,
  shipping: { billingNumbers: { V01PAK: '33333333330102', V53WPAK: '33333333335301' } },
});

/** A `usps` account at a USPS simulator, with the payment roles of the label fixtures (extra merged over it). */
export const uspsAccount = (
  id: string,
  usps: Reachable,
  credentials: ClientCredentials,
  extra: Record<string, unknown> = {},
) => ({
  id,
  carrier: 'usps',
  urls: { token: `${usps.url}${USPS_PATHS.token}`, api: usps.url },
  credentials,
  payment: { roles: USPS_PAYMENT_ROLES },
  ...extra,
});

/** A `colissimo` account at a Colissimo simulator: the contract number and its apiKey. */
export const colissimoAccount = (id: string, colissimo: Reachable, credentials: ClientCredentials) => ({
  id,
  carrier: 'colissimo',
  urls: { api: `${colissimo.url}${COLISSIMO_BASE}` },
  credentials,
  shipping: {},
});

export interface ShippingSimulators {
  ups: UpsSimulatorHandle;
  fedex: SimulatorHandle;
  /** The client each simulator knows. */
  upsClient: ClientCredentials;
  fedexClient: ClientCredentials;
  /** `ups-main` at the UPS simulator, with `extra` fields over it. */
  upsMain(extra?: Record<string, unknown>): Record<string, unknown>;
  /** `fedex-main` at the FedEx simulator, with `extra` fields over it. */
  fedexMain(extra?: Record<string, unknown>): Record<string, unknown>;
  /** Faults and counters of both back to their defaults. */
  reset(): Promise<void>;
  /** Registers every token they issued with the log scan, then closes both. */
  close(): Promise<void>;
}

/** The UPS and FedEx simulators with one client each (`<name>-ups`, `<name>-fedex`). */
export async function startShippingSimulators(
  name: string,
  options: { upsFaults?: Partial<SimFaults> } = {},
): Promise<ShippingSimulators> {
  const upsClient = { clientId: `${name}-ups`, clientSecret: `ups-secret-${randomUUID()}` };
  const fedexClient = { clientId: `${name}-fedex`, clientSecret: `fedex-secret-${randomUUID()}` };
  registerSecrets(upsClient.clientSecret, fedexClient.clientSecret);
  const ups = await startUpsSimulator({
    clients: [upsClient],
    ...(options.upsFaults ? { faults: options.upsFaults } : {}),
  });
  const fedex = await startFedexSimulator({ clients: [fedexClient] });
  return {
    ups,
    fedex,
    upsClient,
    fedexClient,
    upsMain: (extra) => upsMainAccount(ups, upsClient, extra),
    fedexMain: (extra) => fedexMainAccount(fedex, fedexClient, extra),
    reset: async () => {
      await Promise.all([ups.resetFaults(), fedex.resetFaults()]);
      ups.resetStats();
      fedex.resetStats();
    },
    close: async () => {
      registerIssuedTokens(ups, fedex);
      await Promise.all([ups.close(), fedex.close()]);
    },
  };
}

/** What useShopGateway starts (read it inside a test). */
export interface ShopGateway {
  /** Client 'shop' and client 'other' (both with every account); registered with the log scan. */
  shopKey: string;
  otherKey: string;
  sims: ShippingSimulators;
  redis: TestRedis;
  gateway: TestGateway;
}

/**
 * For a file: the shipping simulators, a redis-server and a gateway on it named `name` with the
 * accounts made from the simulators and two clients, 'shop' and 'other'. The simulators are reset
 * before each test; after the tests the gateway and redis close, then the simulators.
 */
export function useShopGateway(
  name: string,
  accounts: (sims: ShippingSimulators) => Record<string, unknown>[],
): ShopGateway {
  const rig = {
    shopKey: `${name}-shop-${randomUUID()}`,
    otherKey: `${name}-other-${randomUUID()}`,
  } as ShopGateway;
  registerSecrets(rig.shopKey, rig.otherKey);
  beforeAll(async () => {
    rig.sims = await startShippingSimulators(name);
    rig.redis = await TestRedis.start();
    rig.gateway = await startTestGateway({
      name,
      redis: { url: rig.redis.url },
      accounts: accounts(rig.sims),
      clients: [
        { id: 'shop', apiKey: rig.shopKey },
        { id: 'other', apiKey: rig.otherKey },
      ],
    });
  });
  afterAll(async () => {
    await closeTestGatewaysAnd(rig.redis);
    await rig.sims.close();
  });
  beforeEach(() => rig.sims.reset());
  return rig;
}

/** What useSimsGateway starts (read it inside a test). */
export interface SimsGateway {
  sims: ShippingSimulators;
  gateway: TestGateway;
}

/** What else a useSimsGateway setup started, closed with the simulators. */
type CloseAfter = <Closable extends { close(): Promise<void> }>(closable: Closable) => Closable;

/**
 * For a file or a describe block: the shipping simulators and a gateway named `name` with the one
 * client 'shop' (`clientKey`) and the rest of the options `setup` makes from the simulators (it
 * hands what else it starts to `closeAfter`). After the tests the gateways close, then the rest.
 */
export function useSimsGateway(
  name: string,
  clientKey: string,
  setup: (
    sims: ShippingSimulators,
    closeAfter: CloseAfter,
  ) => TestGatewayOptions | Promise<TestGatewayOptions>,
): SimsGateway {
  const rig = {} as SimsGateway;
  const others: { close(): Promise<void> }[] = [];
  const closeAfter: CloseAfter = (closable) => {
    others.push(closable);
    return closable;
  };
  beforeAll(async () => {
    rig.sims = await startShippingSimulators(name);
    rig.gateway = await startTestGateway({ name, clientKey, ...(await setup(rig.sims, closeAfter)) });
  });
  afterAll(async () => {
    await closeTestGateways();
    await Promise.all([rig.sims.close(), ...others.map((other) => other.close())]);
  });
  return rig;
}

/** What useCarrierGateway starts (read it inside a test). */
export interface CarrierGateway<Sims> {
  sims: Sims;
  gateway: TestGateway;
}

/**
 * For a file: the simulators `start` makes (by name) and a gateway named `name` with the one client
 * 'shop' (`clientKey`) and the accounts made from them. After the tests the gateways close, the
 * tokens the simulators issued go to the log scan, then the simulators close.
 */
export function useCarrierGateway<Sims extends Record<string, SimulatorHandle>>(
  name: string,
  clientKey: string,
  start: () => Promise<Sims>,
  accounts: (sims: Sims) => Record<string, unknown>[],
): CarrierGateway<Sims> {
  const rig = {} as CarrierGateway<Sims>;
  beforeAll(async () => {
    rig.sims = await start();
    rig.gateway = await startTestGateway({ name, clientKey, accounts: accounts(rig.sims) });
  });
  afterAll(async () => {
    await closeTestGateways();
    const sims = Object.values(rig.sims);
    registerIssuedTokens(...sims);
    await Promise.all(sims.map((sim) => sim.close()));
  });
  return rig;
}
