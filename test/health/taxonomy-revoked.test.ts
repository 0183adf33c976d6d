/**
 * @module test/health/taxonomy-revoked.test
 * `authorization.revoked` produced end to end, the one class test/health/taxonomy-faults.test.ts
 * leaves out: a carrier API answers a revoked token and an expired one with the same 401
 * `invalid_token` (RFC 6750 3.1), so only the authorization server can tell. An oauth2 account with
 * `oauth2.introspectionUrl` gets the probe's `introspect` step (RFC 7662); the OAuth 2.0
 * simulator's revocation fault, switched over HTTP as a process test would, withdraws every access
 * token issued so far while the gateway's clock still holds the shared one valid. The probe, run
 * directly (`gateway.prober.runOnce`, rather than waiting out `probes.intervalSeconds`), finds it
 * inactive; `GET /v1/health/carriers/{account}` then counts `authorization.revoked` in
 * `failures['5m']` and never an expiry or a rejection, and the engine already holds a new token.
 */
import { randomUUID } from 'node:crypto';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  OAUTH2_CONTROL_PATHS,
  OAUTH2_PATHS,
  startOAuth2Simulator,
  type OAuth2SimulatorHandle,
} from '../../carriers/oauth2/simulator.js';
import type { AccountHealth } from '../../src/health/health-service.js';
import type { FailureClass } from '../../src/core/failure-classes.js';
import { registerIssuedTokens, registerSecrets } from '../support/log-capture.js';
import { startTestGateway, type TestGateway } from '../support/test-gateway.js';

const CLIENT_KEY = `taxonomy-revoked-shop-key-${randomUUID()}`;
const OAUTH = { clientId: 'tx-revoked', clientSecret: `tx-revoked-${randomUUID()}` };
/** Another client of the same server: its tokens are not revoked. */
const BYSTANDER = { clientId: 'tx-bystander', clientSecret: `tx-bystander-${randomUUID()}` };
registerSecrets(CLIENT_KEY, OAUTH.clientSecret, BYSTANDER.clientSecret);

/** Every class an operator could mistake a revocation for. */
const CONFUSABLE: FailureClass[] = [
  'authorization.expired',
  'authorization.premature_expiry',
  'authorization.rejected',
  'token_endpoint.invalid_grant',
  'token_endpoint.invalid_client',
];

let oauth: OAuth2SimulatorHandle;
let gateway: TestGateway;

async function health(account: string): Promise<AccountHealth> {
  const response = await fetch(`${gateway.url}/v1/health/carriers/${account}`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  expect(response.status).toBe(200);
  return (await response.json()) as AccountHealth;
}

async function proxy(account: string): Promise<number> {
  const response = await fetch(`${gateway.url}/v1/carriers/${account}${OAUTH2_PATHS.resource}`, {
    headers: { authorization: `Bearer ${CLIENT_KEY}` },
  });
  await response.body?.cancel();
  return response.status;
}

/** The revocation fault as a test driving a gateway process would switch it: over HTTP. */
async function revokeOverHttp(clientId: string): Promise<number> {
  const response = await fetch(`${oauth.url}${OAUTH2_CONTROL_PATHS.revokeAccessTokens}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ clientId }),
  });
  expect(response.status).toBe(200);
  return ((await response.json()) as { revoked: number }).revoked;
}

beforeAll(async () => {
  oauth = await startOAuth2Simulator({ clients: [OAUTH, BYSTANDER] });
  const account = (id: string, credentials: typeof OAUTH, extra: Record<string, unknown> = {}) => ({
    id,
    carrier: 'oauth2',
    urls: { token: `${oauth.url}${OAUTH2_PATHS.token}`, api: oauth.url },
    credentials,
    oauth2: { introspectionUrl: `${oauth.url}${OAUTH2_PATHS.introspect}` },
    ...extra,
  });
  const accounts = [
    // Fresh issuance per probe (RFC 6749 4.4): the introspect step still checks the shared token.
    account('o-revoked', OAUTH),
    account('o-bystander', BYSTANDER),
  ];
  gateway = await startTestGateway({
    name: 'taxonomy-revoked',
    // The scheduled runs happen at start and then hourly: the test runs the probe itself.
    config: { probes: { intervalSeconds: 3_600, jitterSeconds: 0 } },
    clientKey: CLIENT_KEY,
    accounts,
  });
});

afterAll(async () => {
  if (oauth) registerIssuedTokens(oauth);
  await gateway?.close();
  await oauth?.close();
});

describe('authorization.revoked from the simulator revocation fault', () => {
  it('the probe introspects the shared token, finds it revoked, and GET /v1/health/carriers counts the class', async () => {
    const prober = gateway.gateway.prober;
    expect(prober).toBeDefined();
    expect(await proxy('o-revoked')).toBe(200);
    expect(await proxy('o-bystander')).toBe(200);
    const revokedToken = gateway.gateway.engine.manager('o-revoked').peek()!;
    registerSecrets(revokedToken.accessToken);

    // Before the fault (this also waits out the run the prober made at start).
    const before = await prober!.runOnce('o-revoked');
    expect(before.ok, JSON.stringify(before.steps)).toBe(true);
    expect(before.steps.find((step) => step.name === 'introspect')).toMatchObject({ ok: true });

    expect(await revokeOverHttp(OAUTH.clientId)).toBeGreaterThanOrEqual(1);
    // The gateway's clock still holds the token valid for most of its hour.
    expect(revokedToken.expiresAt - Date.now()).toBeGreaterThan(30 * 60_000);
    expect(oauth.isAccessTokenValid(revokedToken.accessToken)).toBe(false);
    const rejectionsBefore = oauth.stats().apiRejections;

    const probed = await prober!.runOnce('o-revoked');
    expect(probed.ok).toBe(false);
    expect(probed.failureClass).toBe('authorization.revoked');
    expect(probed.steps.find((step) => step.name === 'introspect')).toMatchObject({
      ok: false,
      failureClass: 'authorization.revoked',
    });

    const report = await health('o-revoked');
    const failures = report.failures['5m'];
    expect(failures['authorization.revoked'], JSON.stringify(failures)).toBeGreaterThanOrEqual(1);
    for (const other of CONFUSABLE)
      expect(failures[other], `${other} in ${JSON.stringify(failures)}`).toBeUndefined();
    expect(report.currentFailureClass).toBe('authorization.revoked');
    expect(report.runbook).toBe('docs/runbooks/reauthorization.md');
    expect(report.lastProbe?.failureClass).toBe('authorization.revoked');

    // The revoked token was dropped: the next proxied call goes out with a new one, never a 401.
    const replacement = gateway.gateway.engine.manager('o-revoked').peek();
    expect(replacement?.accessToken).not.toBe(revokedToken.accessToken);
    expect(await proxy('o-revoked')).toBe(200);
    expect(oauth.stats().apiRejections).toBe(rejectionsBefore);

    // Another client's account was not touched.
    const bystander = await prober!.runOnce('o-bystander');
    expect(bystander.ok, JSON.stringify(bystander.steps)).toBe(true);
    expect((await health('o-bystander')).failures['5m']['authorization.revoked']).toBeUndefined();
  });
});
