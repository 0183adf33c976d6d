/**
 * @module test/health/alerts-sinks.test
 * The webhook sinks on a loopback recording server: what the JSON and the Slack-compatible sinks
 * post, one retry and no more, failures logged without the webhook URL (a Slack webhook's path is
 * its secret), and a hanging sink that holds nobody up.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { afterEach, describe, expect, it } from 'vitest';

import type { Alert } from '../../src/alerts/rules.js';
import { AlertSinks, slackPayload } from '../../src/alerts/sinks.js';
import { captureDir, registerSecrets, testLogger } from '../support/log-capture.js';
import { startRecordingServer, type RecordingServer, type Responder } from '../support/recording-server.js';

const SLACK_SECRET = `XoXo${randomUUID().replaceAll('-', '')}`;
const SLACK_PATH = `/services/T0SINKS01/B0SINKS01/${SLACK_SECRET}`;
registerSecrets(SLACK_SECRET, SLACK_PATH);

const ALERT: Alert = {
  rule: 'breaker_open',
  account: 'ups-main',
  severity: 'critical',
  title: 'ups-main: auth breaker open',
  text: 'Authentication keeps failing (ERR_TOKEN_INVALID_CLIENT); <b> & co',
  runbook: 'https://runbooks.example/gateway/invalid-client.md',
  at: '2026-01-02T03:04:05.000Z',
  incidentId: '6f1c2c5e-0000-4000-8000-000000000001',
  resolved: false,
};

const servers: RecordingServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function server(respond?: Responder): Promise<RecordingServer> {
  const started = await startRecordingServer(respond);
  servers.push(started);
  registerSecrets(`${started.url}${SLACK_PATH}`);
  return started;
}

/** This worker's captured log lines written after `from` (testLogger writes synchronously). */
function logSince(from: number): string {
  return readFileSync(join(captureDir(), `gateway-${process.pid}.log`), 'utf8').slice(from);
}
const logSize = () => {
  try {
    return readFileSync(join(captureDir(), `gateway-${process.pid}.log`), 'utf8').length;
  } catch {
    return 0;
  }
};

describe('alert sinks', () => {
  it('the JSON sink posts the alert object; the Slack sink posts { text, blocks } with escaped mrkdwn', async () => {
    const webhook = await server();
    const sinks = new AlertSinks({
      sinks: [
        { kind: 'json', url: `${webhook.url}/alerts` },
        { kind: 'slack', url: `${webhook.url}${SLACK_PATH}` },
      ],
      log: testLogger('sinks'),
    });
    await sinks.deliver(ALERT);
    const json = webhook.requests.find((request) => request.url === '/alerts')!;
    const slack = webhook.requests.find((request) => request.url === SLACK_PATH)!;
    expect(json.method).toBe('POST');
    expect(json.headers['content-type']).toBe('application/json');
    expect(JSON.parse(json.body)).toEqual(ALERT);

    const payload = JSON.parse(slack.body) as ReturnType<typeof slackPayload>;
    expect(slack.headers['content-type']).toBe('application/json');
    expect(payload).toEqual({
      text: ':rotating_light: ups-main: auth breaker open',
      blocks: [
        {
          type: 'section',
          text: {
            type: 'mrkdwn',
            text: ':rotating_light: *ups-main: auth breaker open*\nAuthentication keeps failing (ERR_TOKEN_INVALID_CLIENT); &lt;b&gt; &amp; co',
          },
        },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: 'critical · `breaker_open` · account `ups-main` · <https://runbooks.example/gateway/invalid-client.md|runbook> · incident `6f1c2c5e-0000-4000-8000-000000000001` · 2026-01-02T03:04:05.000Z',
            },
          ],
        },
      ],
    });
  });

  it('a resolved alert reads as resolved in Slack; a repository runbook path is shown, not linked', () => {
    const payload = slackPayload({
      ...ALERT,
      resolved: true,
      severity: 'info',
      runbook: 'docs/runbooks/x.md',
    });
    expect(payload.text).toBe(':white_check_mark: Resolved: ups-main: auth breaker open');
    expect(JSON.stringify(payload.blocks)).toContain('resolved · `breaker_open`');
    expect(JSON.stringify(payload.blocks)).toContain('runbook `docs/runbooks/x.md`');
  });

  /** One Slack sink posting to the webhook, with a short retry delay. */
  const slackSinkAt = (webhook: { url: string }) =>
    new AlertSinks({
      sinks: [{ kind: 'slack', url: `${webhook.url}${SLACK_PATH}` }],
      log: testLogger('sinks'),
      retryDelayMs: 5,
    });

  it('retries once after a failure, and succeeds', async () => {
    let calls = 0;
    const webhook = await server(() => ({ status: (calls += 1) === 1 ? 503 : 200 }));
    await slackSinkAt(webhook).deliver(ALERT);
    expect(webhook.requests).toHaveLength(2);
    expect(webhook.requests[1]!.body).toBe(webhook.requests[0]!.body);
  });

  it('gives up after the retry and logs it with the sink kind and host, never the webhook URL', async () => {
    const webhook = await server(() => ({ status: 404, body: 'no_service' }));
    const from = logSize();
    await slackSinkAt(webhook).deliver(ALERT);
    expect(webhook.requests).toHaveLength(2);
    const log = logSince(from);
    expect(log).toContain('alert delivery failed; retrying once');
    expect(log).toContain('alert delivery failed; dropped');
    expect(log).toContain('"sink":"slack#0"');
    expect(log).toContain(`"host":"${new URL(webhook.url).host}"`);
    expect(log).toContain('HTTP 404');
    expect(log).not.toContain(SLACK_SECRET);
    expect(log).not.toContain('/services/');
  });

  it('scrubs the URL from transport errors that quote it', async () => {
    const url = `https://hooks.slack.invalid${SLACK_PATH}`;
    registerSecrets(url);
    const from = logSize();
    let calls = 0;
    const sinks = new AlertSinks({
      sinks: [{ kind: 'slack', url }],
      log: testLogger('sinks'),
      retryDelayMs: 1,
      // undici's own wording for a URL it cannot use quotes the whole URL.
      fetch: async (input) => {
        calls += 1;
        throw new TypeError(`Failed to parse URL from ${String(input)}`, {
          cause: new Error(`bad path ${SLACK_PATH}`),
        });
      },
    });
    await sinks.deliver(ALERT);
    expect(calls).toBe(2);
    const log = logSince(from);
    expect(log).toContain('Failed to parse URL from [redacted-url]: bad path [redacted-path]');
    expect(log).not.toContain(SLACK_SECRET);
  });

  it('a hanging sink times out; delivering to it never holds up the caller', async () => {
    const webhook = await server(() => new Promise(() => {}));
    const sinks = new AlertSinks({
      sinks: [{ kind: 'json', url: `${webhook.url}/hang` }],
      log: testLogger('sinks'),
      timeoutMs: 300,
      retryDelayMs: 1,
    });
    const started = performance.now();
    let settled = false;
    const delivery = sinks.deliver(ALERT).finally(() => (settled = true));
    // Back before the sink could have timed out even once (a caller held up waits >= 300 ms); the
    // margin is wide because a loaded CI machine can take tens of ms for the synchronous part.
    expect(performance.now() - started).toBeLessThan(250);
    expect(settled).toBe(false);
    await delivery;
    // Each of the two attempts was cut at its timeout (timers may fire a millisecond early).
    expect(performance.now() - started).toBeGreaterThanOrEqual(550);
    expect(webhook.requests).toHaveLength(2);
  });
});
