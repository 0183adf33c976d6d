/**
 * @module test/health/probes.test
 * Synthetic probes against the carrier simulators on loopback, one instance, embedded mode: every
 * carrier's probe passes with its five timed steps and the token mode its data asks for (fresh
 * issuance never stored, the shared token, the static credential); each fault lands in its
 * failure class at the step where it shows; an account with an RFC 7662 introspection endpoint
 * gets an `introspect` step that tells a revoked token from an active one; results reach the
 * health recorder; and neither a token nor a secret ever appears in a result.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

import { startColissimoSimulator } from '../../carriers/colissimo/simulator.js';
import { startDhlExpressSimulator } from '../../carriers/dhl-express/simulator.js';
import { startDhlParcelDeSimulator } from '../../carriers/dhl-parcel-de/simulator.js';
import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startLaposteSimulator } from '../../carriers/laposte/simulator.js';
import {
  OAUTH2_PATHS,
  startOAuth2Simulator,
  type OAuth2SimulatorHandle,
} from '../../carriers/oauth2/simulator.js';
import { startUpsSimulator } from '../../carriers/ups/simulator.js';
import { startUspsSimulator } from '../../carriers/usps/simulator.js';
import type { ProbeResult } from '../../src/health/health-service.js';
import { breakerOutcome } from '../../src/probes/prober.js';
import type { SimulatorHandle } from '../../src/sim/index.js';
import { configuredAccounts } from '../support/engine.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { proberStack, type ProberStack } from '../support/prober-stack.js';
import { freePort } from '../support/redis-server.js';

const secret = (name: string) => `probe-${name}-secret-${randomUUID()}`;
const SECRETS = {
  ups: secret('ups'),
  fedex: secret('fedex'),
  oauth2: secret('oauth2'),
  dhl: secret('dhl'),
  gkp: secret('gkp'),
  mydhl: secret('mydhl'),
  usps: secret('usps'),
  okapi: secret('okapi'),
  colissimo: secret('colissimo'),
};
registerSecrets(...Object.values(SECRETS));

const STEP_NAMES = ['token', 'validation', 'jwt', 'call', 'classify'];

type Sims = {
  ups: SimulatorHandle;
  fedex: SimulatorHandle;
  oauth2: OAuth2SimulatorHandle;
  dhl: SimulatorHandle;
  mydhl: SimulatorHandle;
  usps: SimulatorHandle;
  laposte: SimulatorHandle;
  colissimo: SimulatorHandle;
};
let sims: Sims;
let closedPort = 0;

/** One account of each carrier (and a few variants), named `<kind>-<suffix>` so tests never share state. */
function account(kind: string, suffix = randomUUID().slice(0, 8)): Record<string, unknown> {
  const id = `${kind}-${suffix}`;
  switch (kind) {
    case 'ups':
      return {
        id,
        carrier: 'ups',
        urls: { token: `${sims.ups.url}/security/v1/oauth/token`, api: sims.ups.url },
        credentials: { clientId: 'probe-ups', clientSecret: SECRETS.ups },
      };
    case 'fedex':
      return {
        id,
        carrier: 'fedex',
        urls: { token: `${sims.fedex.url}/oauth/token`, api: sims.fedex.url },
        credentials: { clientId: 'probe-fedex', clientSecret: SECRETS.fedex },
      };
    case 'oauth2':
      return {
        id,
        carrier: 'oauth2',
        urls: { token: `${sims.oauth2.url}/oauth/token`, api: sims.oauth2.url },
        credentials: { clientId: 'probe-oauth2', clientSecret: SECRETS.oauth2 },
        oauth2: { clientAuthentication: 'client_secret_basic', scope: 'api' },
        token: { jwksUrl: `${sims.oauth2.url}/jwks` },
      };
    case 'oauth2-introspect':
      return {
        ...account('oauth2', suffix),
        id,
        oauth2: {
          clientAuthentication: 'client_secret_basic',
          scope: 'api',
          introspectionUrl: `${sims.oauth2.url}${OAUTH2_PATHS.introspect}`,
        },
      };
    case 'oauth2-introspect-shared':
      // A configured quota: the probe validates the shared token instead of issuing its own.
      return { ...account('oauth2-introspect', suffix), id, tokenQuotaPerHour: 1000 };
    case 'oauth2-introspect-down':
      return {
        ...account('oauth2-introspect', suffix),
        id,
        oauth2: {
          clientAuthentication: 'client_secret_post',
          introspectionUrl: `http://127.0.0.1:${closedPort}${OAUTH2_PATHS.introspect}`,
        },
      };
    case 'oauth2-no-token-endpoint':
      return {
        ...account('oauth2', suffix),
        id,
        urls: { token: `http://127.0.0.1:${closedPort}/oauth/token`, api: sims.oauth2.url },
      };
    case 'oauth2-no-api':
      return {
        ...account('oauth2', suffix),
        id,
        urls: { token: `${sims.oauth2.url}/oauth/token`, api: `http://127.0.0.1:${closedPort}` },
      };
    case 'ups-no-token-endpoint':
      return {
        ...account('ups', suffix),
        id,
        urls: { token: `http://127.0.0.1:${closedPort}/security/v1/oauth/token`, api: sims.ups.url },
      };
    case 'dhl-parcel-de':
      return {
        id,
        carrier: 'dhl-parcel-de',
        urls: { token: `${sims.dhl.url}/parcel/de/account/auth/ropc/v1/token`, api: sims.dhl.url },
        credentials: {
          clientId: 'probe-dhl',
          clientSecret: SECRETS.dhl,
          username: 'probe-gkp',
          password: SECRETS.gkp,
        },
      };
    case 'dhl-express':
      return {
        id,
        carrier: 'dhl-express',
        urls: { api: `${sims.mydhl.url}/mydhlapi/test` },
        credentials: { clientId: 'probe-mydhl', clientSecret: SECRETS.mydhl },
      };
    case 'usps':
      return {
        id,
        carrier: 'usps',
        urls: { token: `${sims.usps.url}/oauth2/v3/token`, api: sims.usps.url },
        credentials: { clientId: 'probe-usps', clientSecret: SECRETS.usps },
      };
    case 'laposte':
      return {
        id,
        carrier: 'laposte',
        urls: { api: sims.laposte.url },
        credentials: { clientId: 'probe-laposte', clientSecret: SECRETS.okapi },
      };
    case 'colissimo':
      return {
        id,
        carrier: 'colissimo',
        urls: { api: `${sims.colissimo.url}/sls-ws/SlsServiceWSRest/2.0` },
        credentials: { clientId: '800123', clientSecret: SECRETS.colissimo },
      };
    default:
      throw new Error(`no account kind ${kind}`);
  }
}

const open: ProberStack[] = [];

function harness(list: Record<string, unknown>[], options: { intervalMs?: number } = {}): ProberStack {
  const made = proberStack({
    name: 'probes',
    accounts: configuredAccounts(list),
    engine: {
      manager: {
        retry: { maxAttempts: 2, baseDelayMs: 10, maxDelayMs: 50, maxRetryAfterMs: 1_000 },
        cooldown: { baseMs: 100, maxMs: 200 },
      },
    },
    prober: { intervalMs: options.intervalMs ?? 60_000, jitterMs: 0 },
  });
  open.push(made);
  return made;
}

/** Neither a token the simulators issued nor a configured secret appears in what probes report. */
function expectNoSecrets(results: ProbeResult[]): void {
  const text = JSON.stringify(results);
  const issued = Object.values(sims).flatMap((sim) => sim.issuedTokens());
  expect(issued.length).toBeGreaterThan(0);
  for (const value of [...issued, ...Object.values(SECRETS)]) expect(text).not.toContain(value);
}

const stepOf = (result: ProbeResult, name: string) => result.steps.find((step) => step.name === name);

beforeAll(async () => {
  closedPort = await freePort();
  const [ups, fedex, oauth2, dhl, mydhl, usps, laposte, colissimo] = await Promise.all([
    startUpsSimulator({ clients: [{ clientId: 'probe-ups', clientSecret: SECRETS.ups }] }),
    startFedexSimulator({ clients: [{ clientId: 'probe-fedex', clientSecret: SECRETS.fedex }] }),
    startOAuth2Simulator({ clients: [{ clientId: 'probe-oauth2', clientSecret: SECRETS.oauth2 }] }),
    startDhlParcelDeSimulator({
      clients: [{ clientId: 'probe-dhl', clientSecret: SECRETS.dhl }],
      users: [{ username: 'probe-gkp', password: SECRETS.gkp }],
    }),
    startDhlExpressSimulator({ clients: [{ clientId: 'probe-mydhl', clientSecret: SECRETS.mydhl }] }),
    startUspsSimulator({ clients: [{ clientId: 'probe-usps', clientSecret: SECRETS.usps }] }),
    startLaposteSimulator({ clients: [{ clientId: 'probe-laposte', clientSecret: SECRETS.okapi }] }),
    startColissimoSimulator({ clients: [{ clientId: '800123', clientSecret: SECRETS.colissimo }] }),
  ]);
  sims = { ups, fedex, oauth2, dhl, mydhl, usps, laposte, colissimo };
});

afterEach(async () => {
  for (const made of open.splice(0)) await made.close();
  await Promise.all(Object.values(sims).map((sim) => sim.resetFaults()));
});

afterAll(async () => {
  if (!sims) return;
  registerIssuedTokens(...Object.values(sims));
  await Promise.all(Object.values(sims).map((sim) => sim.close()));
});

describe('probes pass against every carrier simulator', () => {
  const cases: [kind: string, sim: keyof Sims, mode: RegExp, jwt: RegExp][] = [
    ['ups', 'ups', /^shared token/, /^skipped: opaque/],
    ['fedex', 'fedex', /^fresh issuance/, /^claims \(no key/],
    ['oauth2', 'oauth2', /^fresh issuance/, /^signature and claims$/],
    ['dhl-parcel-de', 'dhl', /^shared token/, /^skipped: opaque/],
    ['usps', 'usps', /^shared token/, /^claims \(no key/],
    ['dhl-express', 'mydhl', /^static credential$/, /^skipped: static/],
    ['laposte', 'laposte', /^static credential$/, /^skipped: static/],
    ['colissimo', 'colissimo', /^static credential$/, /^skipped: static/],
  ];

  it.each(cases)(
    '%s: five timed steps, the token mode its data asks for, the call answered',
    async (kind, simName, mode, jwt) => {
      const { prober, events, accounts } = harness([account(kind)]);
      const id = accounts[0]!.id;
      const before = sims[simName].stats().apiRequests;
      const result = await prober.runOnce(id);

      expect(result.ok, JSON.stringify(result.steps)).toBe(true);
      expect(result.failureClass).toBeUndefined();
      expect(result.steps.map((step) => step.name)).toEqual(STEP_NAMES);
      for (const step of result.steps) {
        expect(step.ok).toBe(true);
        expect(Number.isInteger(step.ms) && step.ms >= 0).toBe(true);
      }
      expect(stepOf(result, 'token')!.detail).toMatch(mode);
      expect(stepOf(result, 'jwt')!.detail).toMatch(jwt);
      expect(stepOf(result, 'call')!.detail).toMatch(/^HTTP 200/);
      expect(stepOf(result, 'classify')!.detail).toBe('breaker: success');
      expect(Date.parse(result.at)).toBeLessThanOrEqual(Date.now());
      // Plain-http simulators: no certificate to report.
      expect(result.certificate).toBeUndefined();
      expect(sims[simName].stats().apiRequests).toBe(before + 1);
      expect(events).toEqual([{ account: id, source: 'probe', ok: true }]);
      expect(prober.last(id)).toEqual(result);
      expectNoSecrets([result]);
    },
  );

  it('a fresh issuance is never stored: the shared token stays untouched', async () => {
    const { prober, engine, accounts } = harness([account('oauth2')]);
    const id = accounts[0]!.id;
    const before = sims.oauth2.stats().tokensIssued;
    await prober.runOnce(id);
    await prober.runOnce(id);
    expect(sims.oauth2.stats().tokensIssued).toBe(before + 2);
    expect(engine.tokenManager(id)!.peek()).toBeUndefined();
    expect(await engine.store.read(id)).toBeNull();
    // Counted like any token request: the carrier counts it too.
    expect((await engine.status(id)).tokenRequests?.thisHour).toBe(2);
  });

  it('the shared token is the one the engine serves, and probing does not replace it', async () => {
    const { prober, engine, accounts } = harness([account('ups')]);
    const id = accounts[0]!.id;
    const shared = await engine.manager(id).getToken();
    const before = sims.ups.stats().tokenRequests;
    const result = await prober.runOnce(id);
    expect(stepOf(result, 'token')!.detail).toBe(`shared token (generation ${shared.generation})`);
    expect(stepOf(result, 'validation')!.detail).toMatch(/^expires in \d+ s$/);
    expect(sims.ups.stats().tokenRequests).toBe(before);
    expect(engine.manager(id).peek()).toBe(shared);
  });

  it('runs one probe per account at a time on an instance', async () => {
    const { prober, accounts } = harness([account('fedex')]);
    const id = accounts[0]!.id;
    const [a, b] = await Promise.all([prober.runOnce(id), prober.runOnce(id)]);
    expect(a).toBe(b);
    await expect(prober.runOnce('nobody')).rejects.toMatchObject({ code: 'ERR_ACCOUNT_NOT_FOUND' });
    expect(prober.last('nobody')).toBeNull();
  });

  it('probes on its own timer, once per interval, in embedded mode', async () => {
    const { prober, accounts } = harness([account('dhl-express')], { intervalMs: 200 });
    const id = accounts[0]!.id;
    const before = sims.mydhl.stats().apiRequests;
    prober.start();
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    await prober.stop();
    const probes = sims.mydhl.stats().apiRequests - before;
    // Starts at once (no jitter), then every 200 ms plus the probe's own time.
    expect(probes).toBeGreaterThanOrEqual(3);
    expect(probes).toBeLessThanOrEqual(6);
    expect(prober.last(id)?.ok).toBe(true);
  });
});

describe('each fault lands in its failure class, at the step where it shows', () => {
  async function failing(kind: string, setup?: () => Promise<void>) {
    const made = harness([account(kind)]);
    await setup?.();
    const id = made.accounts[0]!.id;
    const result = await made.prober.runOnce(id);
    expect(result.ok).toBe(false);
    expect(made.events).toHaveLength(1);
    expect(made.events[0]).toMatchObject({
      account: id,
      source: 'probe',
      ok: false,
      failureClass: result.failureClass,
    });
    const failed = result.steps.filter((step) => !step.ok && step.name !== 'classify');
    expect(failed).toHaveLength(1);
    // The steps after the failing one do not run; classify always closes the list.
    expect(result.steps.at(-2)).toBe(failed[0]);
    expect(result.steps.at(-1)).toMatchObject({
      name: 'classify',
      ok: false,
      failureClass: result.failureClass,
    });
    expect(failed[0]!.failureClass).toBe(result.failureClass);
    expectNoSecrets([result]);
    return { result, step: failed[0]!, made };
  }

  it('token endpoint down, fresh issuance: the token step, transport.connect', async () => {
    const { result, step } = await failing('oauth2-no-token-endpoint');
    expect(step.name).toBe('token');
    expect(result.failureClass).toBe('transport.connect');
    expect(step.detail).toMatch(/^ERR_TOKEN_ENDPOINT_UNREACHABLE: connect: ECONNREFUSED/);
    expect(stepOf(result, 'classify')!.detail).toBe('breaker: auth_failure');
  });

  it('token endpoint down, shared token: the engine refresh fails the same way', async () => {
    const { result, step } = await failing('ups-no-token-endpoint');
    expect(step.name).toBe('token');
    expect(result.failureClass).toBe('transport.connect');
  });

  it('the whole carrier refusing connections: the token step, transport.connect', async () => {
    const { result, step } = await failing('oauth2', () => sims.oauth2.setFaults({ outage: 'refuse' }));
    expect(step.name).toBe('token');
    // A pooled connection the outage dropped reads as a lost connection, a new one as refused.
    expect(result.failureClass).toMatch(/^(token_endpoint\.unreachable|transport\.connect)$/);
  });

  it('errorInSuccessBody, fresh issuance: HTTP 200 passes the token step, validation fails', async () => {
    const { result, step } = await failing('oauth2', () =>
      sims.oauth2.setFaults({ errorInSuccessBody: true }),
    );
    expect(step.name).toBe('validation');
    expect(result.failureClass).toBe('token_endpoint.error_in_success_body');
    expect(stepOf(result, 'token')).toMatchObject({ ok: true, detail: 'fresh issuance (not stored)' });
  });

  it('errorInSuccessBody, shared token: the engine refuses it at the token step', async () => {
    const { result, step } = await failing('ups', () => sims.ups.setFaults({ errorInSuccessBody: true }));
    expect(step.name).toBe('token');
    expect(result.failureClass).toBe('token_endpoint.error_in_success_body');
    expect(step.detail).toMatch(/^ERR_TOKEN_ERROR_IN_SUCCESS_BODY: HTTP 200.*10401/);
  });

  it('throttled and server errors at the token endpoint keep their classes', async () => {
    const throttled = await failing('oauth2', () => sims.oauth2.setFaults({ throttle: { count: 1 } }));
    expect(throttled.result.failureClass).toBe('token_endpoint.throttled');
    const down = await failing('fedex', () => sims.fedex.setFaults({ tokenServerErrors: 1 }));
    expect(down.result.failureClass).toBe('token_endpoint.server_error');
  });

  it('prematureExpirySeconds 0, fresh issuance: the call is rejected, an authorization class', async () => {
    const { result, step } = await failing('oauth2', () =>
      sims.oauth2.setFaults({ prematureExpirySeconds: 0 }),
    );
    expect(step.name).toBe('call');
    expect(result.failureClass).toMatch(/^authorization\./);
    expect(step.detail).toMatch(/^HTTP 401/);
    expect(stepOf(result, 'classify')!.detail).toBe('breaker: auth_failure');
  });

  it('prematureExpirySeconds 0, shared token: a young token refused on one path is not renewed, an authorization class', async () => {
    const tokenRequests = () => sims.ups.stats().tokenRequests;
    let before = 0;
    const { result, step } = await failing('ups', async () => {
      await sims.ups.setFaults({ prematureExpirySeconds: 0 });
      before = tokenRequests();
    });
    expect(step.name).toBe('call');
    expect(result.failureClass).toMatch(/^authorization\./);
    // The token-churn rule (issue 12.1): a 401 on a token issued moments ago is that request's
    // failure; only the shared token's own issuance reached the token endpoint.
    expect(step.detail).toBe('HTTP 401, carrier code 250002');
    expect(tokenRequests() - before).toBe(1);
  });

  it('the carrier API unreachable: the call step, transport.connect, and the breaker is not told it is auth', async () => {
    const { result, step } = await failing('oauth2-no-api');
    expect(step.name).toBe('call');
    expect(result.failureClass).toBe('transport.connect');
    expect(stepOf(result, 'classify')!.detail).toBe('breaker: neutral');
  });

  it('a static key the carrier refuses: the call step, counted as a rejection of the credential', async () => {
    const made = harness([
      { ...account('laposte'), credentials: { clientId: 'x', clientSecret: `wrong-${randomUUID()}` } },
    ]);
    const id = made.accounts[0]!.id;
    const result = await made.prober.runOnce(id);
    expect(result.ok).toBe(false);
    expect(stepOf(result, 'call')).toMatchObject({ ok: false, detail: expect.stringMatching(/^HTTP 401/) });
    expect(result.failureClass).toMatch(/^authorization\./);
    expect((await made.engine.status(id)).credentialRejections).toBe(1);
  });
});

describe('the introspect step (RFC 7662), for accounts with an introspection endpoint', () => {
  const INTROSPECT_STEPS = ['token', 'validation', 'jwt', 'introspect', 'call', 'classify'];

  it("active: the probe's own token when no shared token exists, then the shared token once there is one", async () => {
    const { prober, engine, accounts } = harness([account('oauth2-introspect')]);
    const id = accounts[0]!.id;
    const before = sims.oauth2.introspectionRequests();
    const alone = await prober.runOnce(id);
    expect(alone.ok, JSON.stringify(alone.steps)).toBe(true);
    expect(alone.steps.map((step) => step.name)).toEqual(INTROSPECT_STEPS);
    expect(stepOf(alone, 'introspect')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/^the probe's own token is active, exp in \d+ s$/),
    });

    // A fresh issuance postdates any revocation: what matters is the token the data path sends.
    const shared = await engine.manager(id).getToken();
    const withShared = await prober.runOnce(id);
    expect(withShared.ok).toBe(true);
    expect(stepOf(withShared, 'introspect')!.detail).toMatch(
      new RegExp(`^the shared token \\(generation ${shared.generation}\\) is active`),
    );
    expect(sims.oauth2.introspectionRequests()).toBe(before + 2);
    expect(engine.manager(id).peek()).toBe(shared);
    expectNoSecrets([alone, withShared]);
  });

  it('accounts without an introspection URL never introspect', async () => {
    const { prober, accounts } = harness([account('oauth2')]);
    const before = sims.oauth2.introspectionRequests();
    const result = await prober.runOnce(accounts[0]!.id);
    expect(result.steps.map((step) => step.name)).toEqual(STEP_NAMES);
    expect(sims.oauth2.introspectionRequests()).toBe(before);
  });

  it.each(['oauth2-introspect', 'oauth2-introspect-shared'])(
    '%s: a revoked shared token is authorization.revoked, an auth failure, and is replaced',
    async (kind) => {
      const { prober, engine, events, accounts } = harness([account(kind)]);
      const id = accounts[0]!.id;
      const revoked = await engine.manager(id).getToken();
      expect(sims.oauth2.revokeAccessTokens('probe-oauth2')).toBeGreaterThanOrEqual(1);
      const apiBefore = sims.oauth2.stats().apiRequests;

      const result = await prober.runOnce(id);
      expect(result.ok).toBe(false);
      expect(result.failureClass).toBe('authorization.revoked');
      expect(result.steps.map((step) => step.name)).toEqual([
        'token',
        'validation',
        'jwt',
        'introspect',
        'classify',
      ]);
      expect(stepOf(result, 'introspect')).toMatchObject({
        ok: false,
        failureClass: 'authorization.revoked',
        detail: expect.stringMatching(
          /^the shared token.* is inactive with \d+ s left by our clock; dropped fleet-wide, the engine fetched the next$/,
        ),
      });
      expect(stepOf(result, 'classify')).toMatchObject({ detail: 'breaker: auth_failure' });
      expect(events).toEqual([
        { account: id, source: 'probe', ok: false, failureClass: 'authorization.revoked' },
      ]);
      // The run stopped before the call; the engine already holds a token the carrier accepts.
      expect(sims.oauth2.stats().apiRequests).toBe(apiBefore);
      const next = engine.manager(id).peek();
      expect(next?.accessToken).toBeDefined();
      expect(next!.accessToken).not.toBe(revoked.accessToken);
      expect(sims.oauth2.isAccessTokenValid(next!.accessToken)).toBe(true);
      expectNoSecrets([result]);

      const again = await prober.runOnce(id);
      expect(again.ok, JSON.stringify(again.steps)).toBe(true);
    },
  );

  it("a revoked token of the probe's own (no shared token): revoked, nothing to drop", async () => {
    const { prober, engine, accounts } = harness([account('oauth2-introspect')]);
    const id = accounts[0]!.id;
    // Every token is refused from issuance on: the carrier drops them at once.
    await sims.oauth2.setFaults({ prematureExpirySeconds: 0 });
    const result = await prober.runOnce(id);
    expect(result.failureClass).toBe('authorization.revoked');
    expect(stepOf(result, 'introspect')!.detail).toMatch(
      /^the probe's own token is inactive with \d+ s left by our clock$/,
    );
    expect(engine.manager(id).peek()).toBeUndefined();
  });

  it('the introspection endpoint failing: a token-endpoint class at the introspect step, neutral for the breaker', async () => {
    const { prober, accounts } = harness([account('oauth2-introspect-down')]);
    const result = await prober.runOnce(accounts[0]!.id);
    expect(result.ok).toBe(false);
    expect(result.failureClass).toBe('transport.connect');
    expect(stepOf(result, 'introspect')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(
        /^introspection endpoint: ERR_TOKEN_ENDPOINT_UNREACHABLE: connect: ECONNREFUSED/,
      ),
    });
    expect(stepOf(result, 'call')).toBeUndefined();
    expect(stepOf(result, 'classify')!.detail).toBe('breaker: neutral');
  });
});

describe('what the breaker is told', () => {
  it('token steps failing are auth failures; a call failing counts only for auth classes; gateway trouble never', () => {
    expect(breakerOutcome({ ok: true })).toBe('success');
    expect(breakerOutcome({ ok: false, failedStep: 'token', failureClass: 'transport.connect' })).toBe(
      'auth_failure',
    );
    expect(breakerOutcome({ ok: false, failedStep: 'jwt', failureClass: 'authorization.signature' })).toBe(
      'auth_failure',
    );
    expect(breakerOutcome({ ok: false, failedStep: 'call', failureClass: 'authorization.rejected' })).toBe(
      'auth_failure',
    );
    expect(breakerOutcome({ ok: false, failedStep: 'call', failureClass: 'downstream.server_error' })).toBe(
      'neutral',
    );
    // Introspection: a revoked token counts, the introspection endpoint's own trouble does not.
    expect(
      breakerOutcome({ ok: false, failedStep: 'introspect', failureClass: 'authorization.revoked' }),
    ).toBe('auth_failure');
    expect(
      breakerOutcome({ ok: false, failedStep: 'introspect', failureClass: 'token_endpoint.invalid_client' }),
    ).toBe('neutral');
    expect(breakerOutcome({ ok: false, failedStep: 'token', failureClass: 'gateway.lock_timeout' })).toBe(
      'neutral',
    );
    expect(
      breakerOutcome({ ok: false, failedStep: 'token', failureClass: 'gateway.redis_unavailable' }),
    ).toBe('neutral');
  });
});
