/**
 * @module cli/handlers
 * One function per admin command: check its arguments, make its admin API call, print the answer
 * (src/cli/render.ts, or the JSON as it came with `--json`) and give the exit status. The client
 * is built only after the arguments passed, so a usage error is reported before a missing key.
 */
import type { OverrideAnswer, ReloadOutcome } from '../admin/admin-actions.js';
import type { AuditEntry } from '../admin/audit-log.js';
import type { AccountHealth, ProbeResult } from '../health/health-service.js';
import { integer, positionals, required, text, UsageError, type ParsedArgs } from './args.js';
import { GatewayCallError, type AdminClient } from './client.js';
import { auditTable, overrideLine, probeText, reloadText, statusDetail, statusTable } from './render.js';

export interface Context {
  args: ParsedArgs;
  out: (text: string) => void;
  err: (text: string) => void;
  colour: boolean;
  /** Built on first use, after the arguments passed: a usage error wins over a missing key. */
  client: () => AdminClient;
}

/** Returns the exit status. */
export type Handler = (context: Context) => Promise<number>;

/** Same limits as the admin API's bodies (src/http/routes/admin.ts), checked before anything is sent. */
const MAX_TTL_SECONDS = 7 * 24 * 3600;
const MAX_VERSION = 9_999_999_999;

const path = (account: string, action: string) =>
  `/v1/admin/accounts/${encodeURIComponent(account)}/${action}`;

/** Members only when given: the admin API refuses unknown or empty ones. */
function timing(args: ParsedArgs, withTtl: boolean): { ttlSeconds?: number; ifVersion?: number } {
  const ttlSeconds = withTtl ? integer(args, '--ttl', 1, MAX_TTL_SECONDS) : undefined;
  const ifVersion = integer(args, '--if-version', 0, MAX_VERSION);
  return {
    ...(ttlSeconds !== undefined ? { ttlSeconds } : {}),
    ...(ifVersion !== undefined ? { ifVersion } : {}),
  };
}

function optionalReason(args: ParsedArgs): { reason?: string } {
  const reason = text(args, '--reason');
  return reason !== undefined ? { reason } : {};
}

/** Prints the JSON as it came with `--json`, else the operator's rendering of it. */
function print<T>(context: Context, answer: unknown, render: (answer: T) => string): number {
  context.out(
    context.args.options.has('--json') ? `${JSON.stringify(answer, null, 2)}\n` : render(answer as T),
  );
  return 0;
}

async function overrideChange(
  context: Context,
  method: 'POST' | 'DELETE',
  account: string,
  action: string,
  body: object,
): Promise<number> {
  const answer = await context.client().call(method, path(account, action), body);
  return print<OverrideAnswer>(context, answer, overrideLine);
}

/** Every account's health, or one account's with its runbook. */
async function showStatus(context: Context): Promise<number> {
  const [account] = positionals(context.args, [], ['ACCOUNT']);
  if (account !== undefined) {
    const answer = await context.client().call('GET', `/v1/health/carriers/${encodeURIComponent(account)}`);
    return print<AccountHealth>(
      context,
      answer,
      (health) => statusTable([health], context.colour) + statusDetail(health),
    );
  }
  // Every page (the gateway answers at most 1000 accounts at a time), as one answer.
  const carriers: AccountHealth[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
    const page = (await context.client().call('GET', `/v1/health/carriers?limit=1000${query}`)) as {
      carriers: AccountHealth[];
      nextCursor?: string | null;
    };
    carriers.push(...page.carriers);
    cursor = page.nextCursor ?? null;
  } while (cursor !== null);
  return print<{ carriers: AccountHealth[] }>(context, { carriers }, ({ carriers: all }) =>
    statusTable(all, context.colour),
  );
}

export const HANDLERS: Record<string, Handler> = {
  async status(context) {
    try {
      return await showStatus(context);
    } catch (error) {
      // The health routes take client keys too, so a wrong admin key is refused as a client key.
      if (error instanceof GatewayCallError && error.code === 'ERR_UNAUTHENTICATED') {
        throw new GatewayCallError(
          'ERR_UNAUTHENTICATED: the gateway knows GATEWAY_ADMIN_KEY neither as an admin key nor as a client key',
          error.code,
        );
      }
      throw error;
    }
  },

  async failover(context) {
    const { args } = context;
    const [account] = positionals(args, ['ACCOUNT']);
    const to = text(args, '--to');
    const body = {
      ...(to !== undefined ? { to } : {}),
      reason: required(args, '--reason'),
      ...timing(args, true),
    };
    return overrideChange(context, 'POST', account!, 'failover', body);
  },

  async restore(context) {
    const [account] = positionals(context.args, ['ACCOUNT']);
    const body = { ...optionalReason(context.args), ...timing(context.args, false) };
    return overrideChange(context, 'DELETE', account!, 'failover', body);
  },

  async drain(context) {
    const { args } = context;
    const [account] = positionals(args, ['ACCOUNT']);
    if (args.options.has('--off')) {
      if (args.options.has('--ttl')) throw new UsageError('--ttl does not apply to drain --off', 'drain');
      return overrideChange(context, 'DELETE', account!, 'drain', {
        ...optionalReason(args),
        ...timing(args, false),
      });
    }
    const body = { reason: required(args, '--reason'), ...timing(args, true) };
    return overrideChange(context, 'POST', account!, 'drain', body);
  },

  async breaker(context) {
    const { args } = context;
    const [account, mode] = positionals(args, ['ACCOUNT', 'open|closed|auto']);
    if (mode !== 'open' && mode !== 'closed' && mode !== 'auto') {
      throw new UsageError(`breaker mode must be open, closed or auto, not "${mode}"`, 'breaker');
    }
    const body = { mode, reason: required(args, '--reason'), ...timing(args, true) };
    return overrideChange(context, 'POST', account!, 'breaker', body);
  },

  async refresh(context) {
    const [account] = positionals(context.args, ['ACCOUNT']);
    const body = { reason: required(context.args, '--reason') };
    const answer = await context.client().call('POST', path(account!, 'refresh'), body);
    return print<{ account: string; token: { generation: number; expiresAt: string } }>(
      context,
      answer,
      ({ token }) =>
        `${account}: token refreshed (generation ${token.generation}, expires ${token.expiresAt})\n`,
    );
  },

  async purge(context) {
    const [account] = positionals(context.args, ['ACCOUNT']);
    const body = { reason: required(context.args, '--reason') };
    const answer = await context.client().call('POST', path(account!, 'purge'), body);
    return print<{ note?: string }>(
      context,
      answer,
      ({ note }) => `${account}: tokens purged${note !== undefined ? `\nnote: ${note}` : ''}\n`,
    );
  },

  async probe(context) {
    const [account] = positionals(context.args, ['ACCOUNT']);
    const answer = await context.client().call('POST', path(account!, 'probe'), optionalReason(context.args));
    return print<{ probe: ProbeResult }>(context, answer, ({ probe }) => probeText(account!, probe));
  },

  async reload(context) {
    positionals(context.args, []);
    const body = { reason: required(context.args, '--reason') };
    const answer = (await context.client().call('POST', '/v1/admin/config/reload', body)) as ReloadOutcome;
    print<ReloadOutcome>(context, answer, reloadText);
    // The instance that took the reload applied it; another instance that refused its file still
    // runs the old configuration, which a script must notice.
    const refused = answer.fleet.filter((instance) => !instance.ok);
    if (refused.length === 0) return 0;
    context.err(
      `carrier-gateway: ${refused.length} instance(s) refused the reload: ${refused.map((instance) => instance.instance).join(', ')}\n`,
    );
    return 1;
  },

  async shipments(context) {
    const { args } = context;
    const [verb, id] = positionals(args, ['resolve', 'ID']);
    if (verb !== 'resolve') throw new UsageError(`shipments takes "resolve", not "${verb}"`, 'shipments');
    const created = args.options.has('--created');
    if (created === args.options.has('--failed')) {
      throw new UsageError('say --created or --failed (one of them)', 'shipments');
    }
    const tracking = text(args, '--tracking');
    if (tracking !== undefined && !created)
      throw new UsageError('--tracking goes with --created', 'shipments');
    const body = {
      outcome: created ? 'created' : 'failed',
      reason: required(args, '--reason'),
      ...(tracking !== undefined
        ? {
            trackingNumbers: tracking
              .split(',')
              .map((n) => n.trim())
              .filter(Boolean),
          }
        : {}),
    };
    const answer = await context
      .client()
      .call('POST', `/v1/admin/shipments/${encodeURIComponent(id!)}/resolve`, body);
    return print<{ id: string; status: string; account: string }>(
      context,
      answer,
      (shipment) => `${shipment.id}: ${shipment.status} (account ${shipment.account})\n`,
    );
  },

  async audit(context) {
    const { args } = context;
    positionals(args, []);
    const query = new URLSearchParams();
    const limit = integer(args, '--limit', 1, 1000);
    if (limit !== undefined) query.set('limit', String(limit));
    for (const name of ['account', 'action']) {
      const value = text(args, `--${name}`);
      if (value !== undefined) query.set(name, value);
    }
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    const answer = await context.client().call('GET', `/v1/admin/audit${suffix}`);
    return print<{ entries: AuditEntry[] }>(context, answer, ({ entries }) => auditTable(entries));
  },
};
