/**
 * @module test/health/alerts-scale
 * The alerter's periodic run costs the accounts with something to say, not the fleet: on a
 * 10,000-account gateway where one account had events, a tick runs the rules for that account
 * alone (counted through the alerter's `onEvaluate` hook), and its alert is still sent. A quiet
 * account whose client secret nears its expiry is evaluated and alerted; once the secret is
 * renewed it no longer needs a look by itself, but its open incident keeps it in view for one
 * more run, which sends the recovery; after that it is left alone again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Alerter, type Alert } from '../../src/alerts/alerter.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { testLogger } from '../support/log-capture.js';
import { closeTestGatewaysAnd, startTestGateway, type TestGateway } from '../support/test-gateway.js';

const ACCOUNTS = 10_000;
const NOISY = 'ups-04242';
const EXPIRING = 'ups-00077';
const DAY_MS = 24 * 3600 * 1000;

let webhook: RecordingServer;
let instance: TestGateway;
let alerter: Alerter;
const evaluated: string[] = [];

beforeAll(async () => {
  webhook = await startRecordingServer();
  const ids = Array.from({ length: ACCOUNTS }, (_, index) => `ups-${String(index).padStart(5, '0')}`);
  instance = await startTestGateway({
    name: 'alerts-scale',
    listen: false,
    clientKey: 'alerts-scale-shop-key-0123456789',
    config: { alerts: { sinks: [{ kind: 'json', url: `${webhook.url}/json` }] } },
    accounts: ids.map((id) => ({
      id,
      carrier: 'ups',
      urls: { token: 'http://127.0.0.1:9/security/v1/oauth/token', api: 'http://127.0.0.1:9' },
      credentials: { clientId: 'alerts-client', clientSecret: 'alerts-scale-secret-0123456789' },
    })),
  });
  const { gateway, config } = instance;
  // The gateway's own alerter would tick too; this test runs one of its own, with the hook.
  await gateway.alerter?.stop();
  alerter = new Alerter({
    accounts: gateway.accounts,
    health: gateway.health,
    breakers: gateway.breakers,
    recorder: gateway.recorder,
    log: testLogger('alerts-scale'),
    config: config.alerts!,
    intervalMs: 3_600_000,
    onEvaluate: (account) => evaluated.push(account),
  });
}, 60_000);

afterAll(async () => {
  await alerter?.stop();
  await closeTestGatewaysAnd(webhook);
});

const alerts = () =>
  webhook.requests
    .filter((request) => request.url === '/json')
    .map((request) => JSON.parse(request.body) as Alert);

async function tick(): Promise<string[]> {
  evaluated.length = 0;
  await alerter.evaluate();
  await alerter.idle();
  return [...evaluated].sort();
}

describe('the periodic alert rules at 10,000 accounts', () => {
  it('evaluate no account while none had events', async () => {
    expect(await tick()).toEqual([]);
    expect(alerts()).toEqual([]);
  });

  it('evaluate the one account with events, and alert on it as before', async () => {
    for (let i = 0; i < 5; i += 1) {
      instance.gateway.recorder.record({
        account: NOISY,
        source: 'token',
        ok: false,
        failureClass: 'token_endpoint.unreachable',
      });
    }
    expect(await tick()).toEqual([NOISY]);
    expect(alerts()).toEqual([
      expect.objectContaining({ rule: 'status', account: NOISY, severity: 'warning', resolved: false }),
    ]);
    // Still failing: evaluated again, alerted once.
    expect(await tick()).toEqual([NOISY]);
    expect(alerts()).toHaveLength(1);
  });

  it('follow an open incident of a quiet account to its recovery, then leave the account alone', async () => {
    const account = instance.gateway.accounts.find((candidate) => candidate.id === EXPIRING)!;
    account.secretExpiresAt = Date.now() + 3.5 * DAY_MS;
    expect(await tick()).toEqual([EXPIRING, NOISY]);
    const expiring = () => alerts().filter((alert) => alert.rule === 'secret_expiring');
    expect(expiring()).toEqual([expect.objectContaining({ account: EXPIRING, resolved: false })]);
    // Renewed (a reload changes the account in place): one more run for the recovery.
    account.secretExpiresAt = Date.now() + 365 * DAY_MS;
    expect(await tick()).toEqual([EXPIRING, NOISY]);
    expect(expiring().map((alert) => alert.resolved)).toEqual([false, true]);
    expect(await tick()).toEqual([NOISY]);
  });
});
