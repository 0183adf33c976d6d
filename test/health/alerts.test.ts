/**
 * @module test/health/alerts.test
 * Alerts fire once per incident and once on recovery (embedded mode, dedup in memory), rule by
 * rule, on real parts: a token engine over the UPS simulator, the auth breaker, the health
 * recorder and service, all on one hand-driven clock; webhooks land on a loopback recording
 * server (a JSON sink and a Slack sink). Fleet-wide dedup over Redis is in alerts-fleet.test.ts,
 * sink behaviour in alerts-sinks.test.ts.
 */
import { randomUUID } from 'node:crypto';

import { afterEach, describe, expect, it, vi } from 'vitest';

import { startUpsSimulator, type UpsSimulatorHandle } from '../../carriers/ups/simulator.js';
import { resolveAccount } from '../../src/accounts/resolve.js';
import { type ResolvedAccount } from '../../src/core/account.js';
import { parseConfig } from '../../config/load.js';
import { TokenEngine } from '../../src/auth/token-engine.js';
import { AuthBreakers, type BreakerState } from '../../src/breaker/auth-breaker.js';
import { MemoryTrialLease } from '../../src/breaker/trial-lease.js';
import { networkOf } from '../../src/alerts/events.js';
import { runbookUrl } from '../../src/alerts/rules.js';
import { Alerter, type Alert } from '../../src/alerts/alerter.js';
import { HealthService, type ProbeResult } from '../../src/health/health-service.js';
import { MemoryHistoryStore } from '../../src/health/history.js';
import { HealthRecorder } from '../../src/health/recorder.js';
import { classifyError } from '../../src/core/failures.js';
import { AccountOverrides } from '../../src/overrides/overrides.js';
import { VersionedState } from '../../src/fleet-state/versioned-state.js';
import type { Attempt } from '../../src/shipments/shipment-service.js';
import { manualClock, type ManualClock } from '../../src/sim/clock.js';
import { registerIssuedTokens, registerSecrets, testLogger } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';

const UPS_CLIENT = { clientId: 'alerts-ups', clientSecret: `alerts-ups-secret-${randomUUID()}` };
const SLACK_PATH = `/services/T0ALERTS/B0ALERTS/${randomUUID().replaceAll('-', '')}`;
const COOLDOWN_SECONDS = 600;
const DAY_MS = 24 * 3600 * 1000;
const POLICY = {
  volumeThreshold: 2,
  errorThresholdPercentage: 50,
  consecutiveFailures: 2,
  resetTimeoutMs: 30_000,
};
registerSecrets(UPS_CLIENT.clientSecret, SLACK_PATH);

interface Fixture {
  clock: ManualClock;
  ups: UpsSimulatorHandle;
  accounts: ResolvedAccount[];
  engine: TokenEngine;
  breakers: AuthBreakers;
  recorder: HealthRecorder;
  alerter: Alerter;
  probe: { result: ProbeResult | null };
  /** JSON-sink alerts so far, for one rule (and account) if given. */
  alerts(rule?: string, account?: string): Alert[];
  slackPosts(): { text: string; blocks: unknown[] }[];
  /** One periodic run, and everything it sent delivered. */
  evaluate(): Promise<void>;
}

const open: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const close of open.splice(0)) await close();
});

async function fixture(options: { main?: string; alerts?: string; probes?: boolean } = {}): Promise<Fixture> {
  const clock = manualClock();
  const log = testLogger('alerts');
  const ups = await startUpsSimulator({ clients: [UPS_CLIENT], clock });
  const webhook: RecordingServer = await startRecordingServer();
  const urls = `urls: { token: "${ups.url}/security/v1/oauth/token", api: "${ups.url}" }`;
  const config = parseConfig(
    `
clients: [{ id: shop, apiKey: "alerts-shop-key-0123456789", accounts: [ups-main, ups-reauth] }]
alerts:
  cooldownSeconds: ${COOLDOWN_SECONDS}
  sinks:
    - { kind: json, url: "${webhook.url}/json" }
    - { kind: slack, url: "${webhook.url}${SLACK_PATH}" }
  ${options.alerts ?? ''}
accounts:
  - id: ups-main
    carrier: ups
    ${urls}
    credentials: { clientId: ${UPS_CLIENT.clientId}, clientSecret: "${UPS_CLIENT.clientSecret}" }
    ${options.main ?? 'tokenQuotaPerHour: 1000'}
  - id: ups-reauth
    carrier: ups
    grant: authorization_code
    ${urls}
    credentials: { clientId: ${UPS_CLIENT.clientId}, clientSecret: "${UPS_CLIENT.clientSecret}", refreshToken: "never-issued-${randomUUID()}" }
`,
    'test',
  );
  const accounts = config.accounts.map((account, index) => resolveAccount(account, index) as ResolvedAccount);
  const ids = accounts.map((account) => account.id);
  const recorder = new HealthRecorder({
    history: new MemoryHistoryStore(),
    log,
    now: clock,
    flushMs: 60_000,
  });
  const engine = new TokenEngine({
    accounts,
    log,
    manager: {
      now: clock,
      retry: { maxAttempts: 1, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
      // As src/gateway.ts wires it: every token request lands in the health history.
      observer: (event) =>
        recorder.record({
          account: event.account,
          source: 'token',
          ok: event.ok,
          latencyMs: event.latencyMs,
          ...(event.code !== undefined ? { failureClass: classifyError(event.code, event.detail) } : {}),
        }),
    },
  });
  const overrides = new AccountOverrides({ log, accounts: ids }, clock);
  const breakers = new AuthBreakers({
    accounts: ids,
    state: new VersionedState<BreakerState>({ namespace: 'breaker', log }),
    trials: new MemoryTrialLease(clock),
    overrides,
    log,
    policy: POLICY,
    now: clock,
  });
  const probe: { result: ProbeResult | null } = { result: null };
  const health = new HealthService({
    accounts,
    engine,
    breakers,
    overrides,
    recorder,
    now: clock,
    ...(options.probes
      ? { probes: { last: () => probe.result, probed: () => (probe.result ? ids : []) } }
      : {}),
  });
  const alerter = new Alerter({
    accounts,
    health,
    breakers,
    recorder,
    log,
    config: config.alerts!,
    now: clock,
    intervalMs: 3_600_000,
    urgentDelayMs: 10,
    sinkRetryDelayMs: 10,
  });
  alerter.start();
  open.push(async () => {
    await alerter.stop();
    breakers.stop();
    engine.stop();
    await recorder.stop();
    registerIssuedTokens(ups);
    await ups.close();
    await webhook.close();
  });
  const bodies = (path: string) =>
    webhook.requests.filter((request) => request.url === path).map((request) => JSON.parse(request.body));
  return {
    clock,
    ups,
    accounts,
    engine,
    breakers,
    recorder,
    alerter,
    probe,
    alerts: (rule, account) =>
      (bodies('/json') as Alert[]).filter(
        (alert) =>
          (rule === undefined || alert.rule === rule) && (account === undefined || alert.account === account),
      ),
    slackPosts: () => bodies(SLACK_PATH),
    evaluate: async () => {
      await alerter.evaluate();
      await alerter.idle();
    },
  };
}

async function openBreaker(f: Fixture, account: string): Promise<void> {
  for (let i = 0; i < POLICY.consecutiveFailures; i += 1) {
    const permit = await f.breakers.permit(account);
    await f.breakers.report(account, permit, 'auth_failure', 'ERR_TOKEN_INVALID_CLIENT');
  }
  await vi.waitFor(() => expect(f.breakers.state(account).state).toBe('open'));
  await f.alerter.idle();
}

async function closeBreaker(f: Fixture, account: string): Promise<void> {
  f.clock.advance(POLICY.resetTimeoutMs + 1);
  const permit = await f.breakers.permit(account);
  expect(permit.kind).toBe('trial');
  await f.breakers.report(account, permit, 'success');
  expect(f.breakers.state(account).state).toBe('closed');
  await f.alerter.idle();
}

describe('alerts, one per incident and one on recovery', () => {
  it('breaker: one alert when it opens (immediately, not at the next tick), none while open or half-open, one when it closes', async () => {
    const f = await fixture();
    await openBreaker(f, 'ups-main');
    expect(f.alerts('breaker_open')).toEqual([
      expect.objectContaining({
        rule: 'breaker_open',
        account: 'ups-main',
        severity: 'critical',
        resolved: false,
        runbook: 'docs/runbooks/invalid-client.md',
        at: new Date(f.clock()).toISOString(),
      }),
    ]);
    await f.evaluate();
    f.clock.advance(POLICY.resetTimeoutMs + 1);
    await f.evaluate();
    const permit = await f.breakers.permit('ups-main');
    expect(f.breakers.state('ups-main').state).toBe('half_open');
    await f.evaluate();
    expect(f.alerts('breaker_open')).toHaveLength(1);

    await f.breakers.report('ups-main', permit, 'success');
    await f.alerter.idle();
    await f.evaluate();
    await f.evaluate();
    const [opened, closed] = f.alerts('breaker_open');
    expect(f.alerts('breaker_open')).toHaveLength(2);
    expect(closed).toMatchObject({ resolved: true, severity: 'info', incidentId: opened!.incidentId });
    expect(f.slackPosts().filter((post) => post.text.includes('auth breaker'))).toHaveLength(2);
  });

  it('a flapping condition is suppressed during the cooldown, and announced once it has passed if still on', async () => {
    const f = await fixture();
    await openBreaker(f, 'ups-main');
    await closeBreaker(f, 'ups-main');
    expect(f.alerts('breaker_open').map((alert) => alert.resolved)).toEqual([false, true]);

    // Opens again well within the cooldown: nothing, at once or at the next ticks.
    await openBreaker(f, 'ups-main');
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('breaker_open')).toHaveLength(2);

    // Still open when the cooldown has passed: announced now, as a new incident.
    f.clock.advance(COOLDOWN_SECONDS * 1000);
    // Keep it open (a trial failing) so the tick sees it open.
    const trial = await f.breakers.permit('ups-main');
    await f.breakers.report('ups-main', trial, 'auth_failure', 'ERR_TOKEN_INVALID_CLIENT');
    await f.alerter.idle();
    await f.evaluate();
    await f.evaluate();
    const alerts = f.alerts('breaker_open');
    expect(alerts.map((alert) => alert.resolved)).toEqual([false, true, false]);
    expect(alerts[2]!.incidentId).not.toBe(alerts[0]!.incidentId);

    await closeBreaker(f, 'ups-main');
    expect(f.alerts('breaker_open').map((alert) => alert.resolved)).toEqual([false, true, false, true]);
    expect(f.alerts('breaker_open')[3]!.incidentId).toBe(alerts[2]!.incidentId);
  });

  it('a quiet re-opening that ends within the cooldown ends quietly', async () => {
    const f = await fixture();
    await openBreaker(f, 'ups-main');
    await closeBreaker(f, 'ups-main');
    await openBreaker(f, 'ups-main');
    await closeBreaker(f, 'ups-main');
    await f.evaluate();
    expect(f.alerts('breaker_open').map((alert) => alert.resolved)).toEqual([false, true]);
  });

  it('reauthorization required: evaluated right after the refused grant, once; status down once; both recover once', async () => {
    const f = await fixture();
    await expect(f.engine.manager('ups-reauth').getToken()).rejects.toMatchObject({
      code: 'ERR_TOKEN_INVALID_GRANT',
    });
    // The refused grant is an urgent event: no tick needed.
    await vi.waitFor(() => expect(f.alerts('reauthorization_required')).toHaveLength(1));
    await f.alerter.idle();
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('reauthorization_required')).toEqual([
      expect.objectContaining({
        account: 'ups-reauth',
        severity: 'critical',
        resolved: false,
        runbook: 'docs/runbooks/reauthorization.md',
      }),
    ]);
    expect(f.alerts('status', 'ups-reauth')).toEqual([
      expect.objectContaining({
        severity: 'critical',
        resolved: false,
        title: expect.stringContaining('is down'),
      }),
    ]);
    expect(f.alerts('status', 'ups-main')).toEqual([]);

    // An operator authorizes it again (the callback of GET /v1/accounts/ups-reauth/authorize).
    const redirectUri = 'https://gateway.example/v1/oauth/callback';
    await f.engine.tokenManager('ups-reauth')!.completeAuthorization({
      kind: 'code',
      code: f.ups.issueAuthorizationCode(UPS_CLIENT.clientId, redirectUri),
      redirectUri,
    });
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('reauthorization_required').map((alert) => alert.resolved)).toEqual([false, true]);
    // The failed refresh still weighs on the score for an hour.
    f.clock.advance(61 * 60_000);
    await f.evaluate();
    await f.evaluate();
    const status = f.alerts('status', 'ups-reauth');
    expect(status.map((alert) => alert.resolved)).toEqual([false, true]);
    expect(status[1]!.incidentId).toBe(status[0]!.incidentId);
  });

  it('client secret expiring within expiryWarningDays: once; rotated: resolved once', async () => {
    const f = await fixture({
      main: `secretExpiresAt: "${new Date(Date.now() + 20.5 * DAY_MS).toISOString()}"`,
      alerts: 'expiryWarningDays: 14',
    });
    await f.evaluate();
    expect(f.alerts('secret_expiring')).toEqual([]);
    f.clock.advance(7 * DAY_MS);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('secret_expiring')).toEqual([
      expect.objectContaining({ severity: 'warning', title: 'ups-main: client secret expires in 13 days' }),
    ]);
    // A new secret (configuration reloaded with its new expiry).
    f.accounts[0]!.secretExpiresAt = f.clock() + 365 * DAY_MS;
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('secret_expiring').map((alert) => alert.resolved)).toEqual([false, true]);
  });

  it('carrier certificate expiring (from the last probe): once; renewed: resolved once', async () => {
    const f = await fixture({ probes: true });
    const probe = (daysLeft: number): ProbeResult => ({
      at: new Date(f.clock()).toISOString(),
      ok: true,
      steps: [],
      certificate: {
        host: 'onlinetools.ups.com',
        validTo: new Date(f.clock() + daysLeft * DAY_MS).toISOString(),
        daysLeft,
      },
    });
    f.probe.result = probe(5);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('certificate_expiring', 'ups-main')).toHaveLength(1);
    f.probe.result = probe(89);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('certificate_expiring', 'ups-main').map((alert) => alert.resolved)).toEqual([
      false,
      true,
    ]);
  });

  it('clock skew over the threshold (the carrier clock 2 minutes ahead): once; back in line after a refresh: resolved once', async () => {
    const f = await fixture();
    await f.ups.setFaults({ skewSeconds: 120 });
    const manager = f.engine.manager('ups-main');
    const token = await manager.getToken();
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('clock_skew')).toEqual([
      expect.objectContaining({
        account: 'ups-main',
        title: expect.stringContaining('carrier clock ahead by'),
        runbook: 'docs/runbooks/clock-skew.md',
      }),
    ]);
    await f.ups.setFaults({ skewSeconds: 0 });
    await manager.invalidate(token.accessToken);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('clock_skew').map((alert) => alert.resolved)).toEqual([false, true]);
  });

  it('token quota use over the threshold: once; next hour: resolved once', async () => {
    const f = await fixture({ main: 'tokenQuotaPerHour: 2', alerts: 'tokenQuotaThreshold: 0.8' });
    const manager = f.engine.manager('ups-main');
    await manager.invalidate((await manager.getToken()).accessToken);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('token_quota')).toEqual([
      expect.objectContaining({
        severity: 'critical',
        title: 'ups-main: 100 % of the hourly token quota used',
      }),
    ]);
    f.clock.advance(3_600_000);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('token_quota').map((alert) => alert.resolved)).toEqual([false, true]);
  });

  it('refresh frequency spike (tokens dropped early, refreshed again and again): once; calm again: resolved once', async () => {
    const f = await fixture();
    const manager = f.engine.manager('ups-main');
    let token = await manager.getToken();
    for (let i = 0; i < 6; i += 1) token = await manager.invalidate(token.accessToken);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('refresh_spike')).toEqual([
      expect.objectContaining({ title: 'ups-main: token refreshes spiking (7 in 15 min)', resolved: false }),
    ]);
    f.clock.advance(16 * 60_000);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('refresh_spike').map((alert) => alert.resolved)).toEqual([false, true]);
  });

  it('rising rejections of freshly issued tokens: once; none for 15 minutes: resolved once', async () => {
    const f = await fixture();
    const rejected = () =>
      f.recorder.record({
        account: 'ups-main',
        source: 'shipment',
        ok: false,
        failureClass: 'authorization.rejected',
        freshRejection: true,
      });
    rejected();
    rejected();
    await f.evaluate();
    expect(f.alerts('fresh_token_rejections')).toEqual([]);
    rejected();
    await f.evaluate();
    rejected();
    await f.evaluate();
    expect(f.alerts('fresh_token_rejections')).toHaveLength(1);
    // Fewer now than the quarter before, but not none: the incident stays open.
    f.clock.advance(15 * 60_000);
    rejected();
    await f.evaluate();
    expect(f.alerts('fresh_token_rejections')).toHaveLength(1);
    f.clock.advance(15 * 60_000);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('fresh_token_rejections').map((alert) => alert.resolved)).toEqual([false, true]);
  });

  it('scope refused at the token endpoint (configuration drift): evaluated at once, once; none for 15 minutes: resolved once', async () => {
    const f = await fixture();
    f.recorder.record({
      account: 'ups-main',
      source: 'token',
      ok: false,
      failureClass: 'token_endpoint.invalid_scope',
    });
    await vi.waitFor(() => expect(f.alerts('scope_failures')).toHaveLength(1));
    await f.alerter.idle();
    await f.evaluate();
    expect(f.alerts('scope_failures')).toEqual([
      expect.objectContaining({ account: 'ups-main', runbook: 'docs/runbooks/scope-drift.md' }),
    ]);
    f.clock.advance(16 * 60_000);
    await f.evaluate();
    await f.evaluate();
    expect(f.alerts('scope_failures').map((alert) => alert.resolved)).toEqual([false, true]);
  });

  it('failover: starts once per failing account, not for drained ones, and ends once a shipment lands on it again', async () => {
    const f = await fixture();
    const failover: Attempt[] = [
      { account: 'ups-drained', outcome: 'drained', failure: { code: 'drained' } },
      { account: 'ups-main', outcome: 'token_unavailable', failure: { code: 'ERR_TOKEN_INVALID_CLIENT' } },
      { account: 'fedex-main', outcome: 'created' },
    ];
    const started = performance.now();
    f.alerter.shipmentCreated(failover);
    // The hook is on the request path: it returns before anything is sent.
    expect(performance.now() - started).toBeLessThan(20);
    f.alerter.shipmentCreated(failover);
    await f.alerter.idle();
    f.alerter.shipmentCreated(failover);
    await f.alerter.idle();
    expect(f.alerts('failover')).toEqual([
      expect.objectContaining({
        account: 'ups-main',
        title: 'Shipments fail over from ups-main to fedex-main',
        runbook: 'docs/runbooks/invalid-client.md',
        resolved: false,
      }),
    ]);
    f.alerter.shipmentCreated([{ account: 'ups-main', outcome: 'created' }]);
    f.alerter.shipmentCreated([{ account: 'ups-main', outcome: 'created' }]);
    await f.alerter.idle();
    expect(f.alerts('failover').map((alert) => [alert.account, alert.resolved])).toEqual([
      ['ups-main', false],
      ['ups-main', true],
    ]);
  });

  it('a client key from a new network: not for its first network, once per new /24 or /64, never with the key', async () => {
    const f = await fixture();
    const used = (address: string) => f.alerter.clientKeyUsed('shop', address);
    used('203.0.113.7');
    await f.alerter.idle();
    used('203.0.113.200');
    used('::ffff:203.0.113.9');
    await f.alerter.idle();
    expect(f.alerts('client_new_network')).toEqual([]);
    used('198.51.100.1');
    used('198.51.100.2');
    await f.alerter.idle();
    used('198.51.100.3');
    used('2001:db8:1:2::1');
    await f.alerter.idle();
    used('2001:0db8:0001:0002:ffff::9');
    used('not-an-address');
    await f.alerter.idle();
    expect(f.alerts('client_new_network')).toEqual([
      expect.objectContaining({ client: 'shop', title: 'Client shop used its API key from a new network' }),
      expect.objectContaining({ client: 'shop', text: expect.stringContaining('2001:db8:1:2::/64') }),
    ]);
    expect(f.alerts('client_new_network')[0]!.text).toContain('198.51.100.0/24');
    expect(f.alerts('client_new_network')[0]).not.toHaveProperty('account');
    expect(JSON.stringify(f.alerts())).not.toContain('alerts-shop-key');
  });
});

describe('networkOf', () => {
  it('is the /24 for IPv4 (mapped too) and the /64 for IPv6, canonical', () => {
    expect(networkOf('192.0.2.55')).toBe('192.0.2.0/24');
    expect(networkOf('::ffff:192.0.2.55')).toBe('192.0.2.0/24');
    expect(networkOf('2001:DB8:0:0:1::1')).toBe('2001:db8:0:0::/64');
    expect(networkOf('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(networkOf('::1')).toBe('0:0:0:0::/64');
    expect(networkOf('64:ff9b::192.0.2.1')).toBe('64:ff9b:0:0::/64');
    expect(networkOf(undefined)).toBeNull();
    expect(networkOf('example.com')).toBeNull();
  });
});

describe('runbookUrl', () => {
  it('is under runbookBaseUrl when configured, the repository path otherwise', () => {
    expect(runbookUrl('clock-skew', 'https://wiki.example/gateway')).toBe(
      'https://wiki.example/gateway/clock-skew.md',
    );
    expect(runbookUrl('clock-skew', 'https://wiki.example/gateway/')).toBe(
      'https://wiki.example/gateway/clock-skew.md',
    );
    expect(runbookUrl('clock-skew')).toBe('docs/runbooks/clock-skew.md');
  });
});
