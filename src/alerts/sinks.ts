/**
 * @module alerts/sinks
 * Where alerts go: webhooks, either generic JSON (the `Alert` object as it is) or
 * Slack-compatible (`{ text, blocks }`, as Slack incoming webhooks and Mattermost/Rocket.Chat
 * take them). Each post is tried twice at most (one retry after `retryDelayMs`), with a timeout;
 * a failure is logged and dropped. Nothing waits for a sink: `deliver` runs behind the caller.
 *
 * Webhook URLs are secrets (a Slack webhook's path is its credential), so logs name a sink by its
 * kind, position and host only, and error messages are scrubbed of the URL before logging.
 */
import { deadline } from '../platform/deadline.js';
import type { Logger } from '../platform/log.js';
import type { Alert } from './rules.js';

export interface SinkConfig {
  kind: 'json' | 'slack';
  url: string;
}

export interface AlertSinksOptions {
  sinks: readonly SinkConfig[];
  log: Logger;
  /** Transport (tests and proxies swap it). Default: the global fetch. */
  fetch?: typeof fetch;
  /** Per attempt. Default 5 s. */
  timeoutMs?: number;
  /** Before the one retry. Default 1 s. */
  retryDelayMs?: number;
}

/** Deliveries in flight at most; beyond this, alerts are logged and dropped (a sink hanging must not pile up memory). */
const MAX_IN_FLIGHT = 100;
/** Slack rejects section texts over 3,000 characters. */
const SLACK_TEXT_LIMIT = 3_000;

const ICONS = { critical: ':rotating_light:', warning: ':warning:', info: ':information_source:' } as const;

/** Slack mrkdwn: only these three must be escaped (api.slack.com/reference/surfaces/formatting#escaping). */
const escapeMrkdwn = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');

/** The Slack incoming-webhook body: `text` is the notification fallback, `blocks` the message. */
export function slackPayload(alert: Alert): { text: string; blocks: object[] } {
  const icon = alert.resolved ? ':white_check_mark:' : ICONS[alert.severity];
  const title = `${alert.resolved ? 'Resolved: ' : ''}${alert.title}`;
  const runbook = /^https?:\/\//.test(alert.runbook)
    ? `<${alert.runbook}|runbook>`
    : `runbook \`${escapeMrkdwn(alert.runbook)}\``;
  const body = `${icon} *${escapeMrkdwn(title)}*\n${escapeMrkdwn(alert.text)}`;
  return {
    text: `${icon} ${title}`,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: body.slice(0, SLACK_TEXT_LIMIT) } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: [
              alert.resolved ? 'resolved' : alert.severity,
              `\`${alert.rule}\``,
              ...(alert.account !== undefined ? [`account \`${escapeMrkdwn(alert.account)}\``] : []),
              ...(alert.client !== undefined ? [`client \`${escapeMrkdwn(alert.client)}\``] : []),
              runbook,
              `incident \`${alert.incidentId}\``,
              alert.at,
            ].join(' · '),
          },
        ],
      },
    ],
  };
}

/** Removes the URL, and its path on its own, from a message (undici quotes URLs in some errors). */
function scrub(message: string, url: string): string {
  let clean = message.split(url).join('[redacted-url]');
  const { pathname, search } = new URL(url);
  const secret = `${pathname}${search}`;
  if (secret.length > 1) clean = clean.split(secret).join('[redacted-path]');
  return clean;
}

export class AlertSinks {
  readonly #sinks: readonly SinkConfig[];
  readonly #log: Logger;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #retryDelayMs: number;
  #inFlight = 0;

  constructor(options: AlertSinksOptions) {
    this.#sinks = options.sinks;
    this.#log = options.log;
    this.#fetch = options.fetch ?? globalThis.fetch;
    this.#timeoutMs = options.timeoutMs ?? 5_000;
    this.#retryDelayMs = options.retryDelayMs ?? 1_000;
  }

  /** Posts to every sink; never rejects. */
  async deliver(alert: Alert): Promise<void> {
    if (this.#sinks.length === 0) return;
    if (this.#inFlight >= MAX_IN_FLIGHT) {
      this.#log.warn(
        { rule: alert.rule, account: alert.account, incidentId: alert.incidentId },
        'alert dropped: too many deliveries in flight',
      );
      return;
    }
    this.#inFlight += 1;
    try {
      await Promise.all(this.#sinks.map((sink, index) => this.#post(sink, index, alert)));
    } finally {
      this.#inFlight -= 1;
    }
  }

  async #post(sink: SinkConfig, index: number, alert: Alert): Promise<void> {
    const body = JSON.stringify(sink.kind === 'slack' ? slackPayload(alert) : alert);
    const where = { sink: `${sink.kind}#${index}`, host: new URL(sink.url).host };
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const limit = deadline(this.#timeoutMs);
      try {
        const response = await this.#fetch(sink.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
          signal: limit.signal,
        });
        // Read to the end so the connection goes back to the pool.
        await response.arrayBuffer().catch(() => undefined);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        this.#log.debug({ ...where, incidentId: alert.incidentId, attempt }, 'alert delivered');
        return;
      } catch (error) {
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        const message = scrub(
          `${(error as Error).message}${cause !== undefined ? `: ${cause}` : ''}`,
          sink.url,
        );
        this.#log.warn(
          { ...where, incidentId: alert.incidentId, attempt, err: { message } },
          attempt === 1 ? 'alert delivery failed; retrying once' : 'alert delivery failed; dropped',
        );
        if (attempt === 1) await new Promise((resolve) => setTimeout(resolve, this.#retryDelayMs));
      } finally {
        limit.release();
      }
    }
  }
}
