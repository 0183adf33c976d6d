/**
 * @module test/security/no-secrets-in-responses
 * Nothing a client receives from the gateway, in a body or a header, carries a credential:
 * not the carrier client secrets, not any client's API key, not an access or refresh token the
 * carrier issued. The scenarios cover success (UPS opaque tokens, FedEx JWTs, a rotating UPS
 * refresh token) and the token-endpoint failures that build problem bodies from carrier
 * answers (invalid_client after a secret rotation, an error inside a 200, throttling, an
 * outage). A tap in front of each simulator's token endpoint records every token issued, so
 * tokens the gateway has since dropped are looked for too.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { startFedexSimulator } from '../../carriers/fedex/simulator.js';
import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import type { SimulatorHandle } from '../../src/sim/types.js';
import {
  OTHER_KEY,
  SHOP_KEY,
  bearer,
  observeTokens,
  problemOf,
  startGateway,
  startTokenTap,
  type RunningGateway,
  type TokenTap,
} from '../proxy/helpers.js';
import { registerSecrets } from '../support/log-capture.js';

const UPS_SECRET = 'ups-client-secret-0001';
const UPS_NEW_SECRET = 'ups-client-secret-0002-rotated';
const FEDEX_SECRET = 'fedex-client-secret-0001';
const FEDEX_NEW_SECRET = 'fedex-client-secret-0002-rotated';
const UPS_TRACK = '/api/track/v1/details/1Z999AA10123456784';
const FEDEX_TRACK = '/track/v1/trackingnumbers';

interface Seen {
  scenario: string;
  status: number;
  /** Every header line and the body, as the client received them. */
  wire: string;
  contentType: string | null;
  body: string;
}

describe('no secret or token in any gateway response', () => {
  const sims: SimulatorHandle[] = [];
  const taps: TokenTap[] = [];
  const seen: Seen[] = [];
  let gw: RunningGateway;
  let seedRefreshToken = '';

  async function ups(
    faults: Parameters<UpsSimulatorHandle['setFaults']>[0] = {},
  ): Promise<UpsSimulatorHandle> {
    const sim = await startUpsSimulator({
      clients: [{ clientId: 'ups-cid', clientSecret: UPS_SECRET }],
      faults,
    });
    sims.push(sim);
    return sim;
  }
  async function fedex(): Promise<SimulatorHandle> {
    const sim = await startFedexSimulator({ clients: [{ clientId: 'fx-key', clientSecret: FEDEX_SECRET }] });
    sims.push(sim);
    return sim;
  }
  async function tap(sim: SimulatorHandle): Promise<string> {
    const started = await startTokenTap(sim.url);
    taps.push(started);
    return started.url;
  }

  beforeAll(async () => {
    registerSecrets(UPS_SECRET, UPS_NEW_SECRET, FEDEX_SECRET, FEDEX_NEW_SECRET);
    const upsOk = await ups();
    const upsRotated = await ups();
    const upsErrorIn200 = await ups({ errorInSuccessBody: true });
    const upsThrottled = await ups({ throttle: { count: 1_000 } });
    const upsDown = await ups();
    const fedexOk = await fedex();
    const fedexRotated = await fedex();
    seedRefreshToken = upsOk.issueRefreshToken('ups-cid');
    registerSecrets(seedRefreshToken);

    const account = (id: string, carrier: string, token: string, api: string, extra = '') => `
  - id: ${id}
    carrier: ${carrier}
    urls: { token: "${token}", api: "${api}" }${extra}`;
    const upsCredentials = `\n    credentials: { clientId: ups-cid, clientSecret: ${UPS_SECRET} }`;
    const fedexCredentials = `\n    credentials: { clientId: fx-key, clientSecret: ${FEDEX_SECRET} }`;
    const upsToken = '/security/v1/oauth/token';
    /** An account whose token calls go through a tap in front of `sim`, its API calls straight to it. */
    const tapped = async (
      id: string,
      carrier: 'ups' | 'fedex',
      sim: SimulatorHandle,
      credentials?: string,
    ) =>
      carrier === 'ups'
        ? account(id, 'ups', `${await tap(sim)}${upsToken}`, sim.url, credentials ?? upsCredentials)
        : account(id, 'fedex', `${await tap(sim)}/oauth/token`, sim.url, credentials ?? fedexCredentials);
    gw = await startGateway(
      `
listen: { port: 0, host: 127.0.0.1 }
clients:
  - { id: shop, apiKey: "${SHOP_KEY}", accounts: [ups-ok, ups-authcode, ups-rotated, ups-error-in-200, ups-throttled, ups-down] }
  - { id: other, apiKey: "${OTHER_KEY}", accounts: [fedex-ok, fedex-rotated] }
accounts:${[
        await tapped('ups-ok', 'ups', upsOk),
        await tapped(
          'ups-authcode',
          'ups',
          upsOk,
          `\n    grant: authorization_code\n    credentials: { clientId: ups-cid, clientSecret: ${UPS_SECRET}, refreshToken: ${seedRefreshToken} }`,
        ),
        await tapped('ups-rotated', 'ups', upsRotated),
        await tapped('ups-error-in-200', 'ups', upsErrorIn200),
        await tapped('ups-throttled', 'ups', upsThrottled),
        // Straight at the simulator: a refused connection is the point.
        account('ups-down', 'ups', `${upsDown.url}${upsToken}`, upsDown.url, upsCredentials),
        await tapped('fedex-ok', 'fedex', fedexOk),
        await tapped('fedex-rotated', 'fedex', fedexRotated),
      ].join('')}
`,
      {
        engine: {
          manager: { retry: { maxAttempts: 2, baseDelayMs: 5, maxDelayMs: 10, maxRetryAfterMs: 1_000 } },
        },
      },
    );
    upsRotated.rotateSecret('ups-cid', UPS_NEW_SECRET);
    fedexRotated.rotateSecret('fx-key', FEDEX_NEW_SECRET);
    await upsDown.setFaults({ outage: 'refuse' });
    await runScenarios();
  });
  afterAll(async () => {
    await gw?.close();
    await Promise.all(taps.map((started) => started.close()));
    await Promise.all(sims.map((sim) => sim.close()));
  });

  async function record(scenario: string, path: string, init: RequestInit = {}): Promise<Seen> {
    const response = await fetch(`${gw.url}${path}`, init);
    const body = await response.text();
    const headerLines = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
    const entry: Seen = {
      scenario,
      status: response.status,
      wire: `${response.status} ${response.statusText}\n${headerLines}\n\n${body}`,
      contentType: response.headers.get('content-type'),
      body,
    };
    seen.push(entry);
    return entry;
  }
  const upsCall = (account: string) =>
    record(account, `/v1/carriers/${account}${UPS_TRACK}`, { headers: bearer(SHOP_KEY) });
  const fedexCall = (account: string) =>
    record(account, `/v1/carriers/${account}${FEDEX_TRACK}`, {
      method: 'POST',
      headers: { ...bearer(OTHER_KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ trackingInfo: [{ trackingNumberInfo: { trackingNumber: '794843185271' } }] }),
    });
  const codeOf = (entry: Seen) =>
    problemOf({ status: entry.status, text: entry.body, contentType: entry.contentType }).code;

  /** Scenario → status or problem code, per round. */
  const outcomes: Record<string, (number | string)[]> = {};

  async function runScenarios(): Promise<void> {
    const outcome = (entry: Seen) => {
      (outcomes[entry.scenario] ??= []).push(entry.status === 200 ? 200 : codeOf(entry));
    };
    // Twice: first with no token (refresh attempted), then from the cache or the cooldown.
    for (let round = 0; round < 2; round += 1) {
      for (const id of [
        'ups-ok',
        'ups-authcode',
        'ups-rotated',
        'ups-error-in-200',
        'ups-throttled',
        'ups-down',
      ])
        outcome(await upsCall(id));
      for (const id of ['fedex-ok', 'fedex-rotated']) outcome(await fedexCall(id));
    }
    await record('accounts', '/v1/accounts', { headers: bearer(SHOP_KEY) });
    await record('accounts', '/v1/accounts', { headers: bearer(OTHER_KEY) });
    await record('readyz', '/readyz');
    await record('forbidden', '/v1/carriers/fedex-ok/x', { headers: bearer(SHOP_KEY) });
    await record('unauthenticated', '/v1/carriers/ups-ok/x', { headers: bearer(`${SHOP_KEY}x`) });
    for (const id of ['ups-ok', 'ups-authcode', 'fedex-ok']) observeTokens(gw.gateway, id);
  }

  it('runs every scenario to the expected outcome', () => {
    const twice = (value: number | string) => [value, value];
    expect(outcomes).toEqual({
      'ups-ok': twice(200),
      'ups-authcode': twice(200),
      'fedex-ok': twice(200),
      'ups-rotated': twice('ERR_TOKEN_INVALID_CLIENT'),
      'ups-error-in-200': twice('ERR_TOKEN_ERROR_IN_SUCCESS_BODY'),
      'ups-throttled': twice('ERR_TOKEN_ENDPOINT_THROTTLED'),
      'ups-down': twice('ERR_TOKEN_ENDPOINT_UNREACHABLE'),
      'fedex-rotated': twice('ERR_TOKEN_INVALID_CLIENT'),
    });
  });

  it('never sends a client secret, client API key, access token or refresh token back', () => {
    const accessTokens = taps.flatMap((started) => [...started.accessTokens]);
    const refreshTokens = taps.flatMap((started) => [...started.refreshTokens]);
    for (const id of ['ups-ok', 'ups-authcode', 'fedex-ok']) {
      const current = gw.gateway.engine.manager(id).peek();
      accessTokens.push(current!.accessToken);
      if (current?.refreshToken) refreshTokens.push(current.refreshToken);
    }
    // The scan has something to find: UPS and FedEx access tokens, and a rotated refresh token.
    expect(new Set(accessTokens).size).toBeGreaterThanOrEqual(3);
    expect(accessTokens.some((token) => token.startsWith('eyJ'))).toBe(true);
    expect(refreshTokens.length).toBeGreaterThanOrEqual(1);
    expect(seen.length).toBeGreaterThanOrEqual(21);

    const secrets: [string, string][] = [
      ...[UPS_SECRET, UPS_NEW_SECRET, FEDEX_SECRET, FEDEX_NEW_SECRET].map((value): [string, string] => [
        'a client secret',
        value,
      ]),
      ['a client API key', SHOP_KEY],
      ['a client API key', OTHER_KEY],
      ['the seed refresh token', seedRefreshToken],
      ...accessTokens.map((value): [string, string] => ['an access token', value]),
      ...refreshTokens.map((value): [string, string] => ['a refresh token', value]),
    ];
    const leaks: string[] = [];
    for (const entry of seen) {
      for (const [kind, value] of secrets) {
        if (entry.wire.includes(value)) leaks.push(`${entry.scenario} (${entry.status}): ${kind}`);
      }
      // Credential shapes, whatever their value.
      if (/Bearer [A-Za-z0-9._~+/-]{12,}|Basic [A-Za-z0-9+/=]{12,}|eyJ[A-Za-z0-9_-]{8,}\./.test(entry.wire)) {
        leaks.push(`${entry.scenario} (${entry.status}): a credential-shaped value`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
