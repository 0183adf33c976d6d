/**
 * @module ops/page
 * The operations page (`GET /ops`) as one self-contained HTML document: markup, inline style and
 * inline script, no build step, nothing fetched from elsewhere (the gateway may have no
 * internet). The page carries no data; its script fetches `/v1/health/carriers` with the key the
 * operator enters (src/ops/script.ts).
 *
 * The Content-Security-Policy allows exactly the page's own style and script by their SHA-256
 * hashes (CSP Level 3 hash-source), so neither an injected `<script>`, an inline event handler nor
 * a `javascript:` URL runs; Trusted Types forbid HTML sinks such as innerHTML; `connect-src 'self'`
 * keeps the key from leaving for another origin; `frame-ancestors 'none'` stops clickjacking.
 * The page is built once per route, so the hashes are computed once.
 */
import { createHash } from 'node:crypto';

import { RUNBOOK_BASE, RUNBOOKS } from '../core/failure-classes.js';
import { opsScript } from './script.js';
import { OPS_STYLE } from './style.js';
import { RUNBOOKS_PATH } from './runbooks.js';

export interface OpsPageOptions {
  /** Seconds between refreshes unless the URL says `?refresh=N` (default 5). */
  refreshSeconds?: number;
  /** http(s) base that runbook names are appended to, making them links (default: shown as paths). */
  runbookBaseUrl?: string;
}

export interface OpsPage {
  html: string;
  headers: Record<string, string>;
}

/** Accounts per page: the failing ones come first, the rest a filter or a page away. */
export const OPS_PAGE_SIZE = 50;

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

const COLUMNS = [
  ['Account', 'account id and carrier'],
  ['Status', 'healthy, degraded or down'],
  ['Score', '0 to 100, with the largest penalties'],
  ['Breaker', 'auth circuit breaker'],
  ['Token expires in', 'time left on the access token'],
  ['Success rate, 24 h', 'per 15 minutes'],
  ['Refresh p95, 24 h', 'token refresh latency, per 15 minutes'],
  ['Failing now', 'current failure class and its runbook'],
  ['Last hour', 'failures by class'],
  ['Act', 'fail over, restore, drain or undrain, with a reason (admin key)'],
] as const;

export function buildOpsPage(options: OpsPageOptions = {}): OpsPage {
  const { refreshSeconds = 5, runbookBaseUrl } = options;
  if (!Number.isInteger(refreshSeconds) || refreshSeconds < 1) {
    throw new RangeError(`refreshSeconds must be a whole number of seconds ≥ 1, got ${refreshSeconds}`);
  }
  if (runbookBaseUrl !== undefined && !/^https?:\/\//i.test(runbookBaseUrl)) {
    throw new RangeError(`runbookBaseUrl must be an http(s) URL, got ${runbookBaseUrl}`);
  }
  const script = opsScript({
    defaultRefreshSeconds: refreshSeconds,
    runbooks: RUNBOOKS,
    runbookPath: RUNBOOK_BASE,
    runbooksServedAt: RUNBOOKS_PATH,
    pageSize: OPS_PAGE_SIZE,
    runbookBaseUrl: runbookBaseUrl === undefined ? null : runbookBaseUrl.replace(/\/?$/, '/'),
  });
  const headerCells = COLUMNS.map(([name, hint]) =>
    name === 'Act'
      ? `<th scope="col" class="admin-only" title="${hint}">${name}</th>`
      : `<th scope="col" title="${hint}">${name}</th>`,
  ).join('');
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Carrier gateway · operations</title>
<style>${OPS_STYLE}</style>
</head>
<body>
<header>
  <h1>Carrier accounts</h1>
  <p class="meta"><strong id="summary"></strong></p>
  <p class="meta"><time id="updated">Not loaded</time> · refreshes every <span id="interval">${refreshSeconds}</span> s</p>
  <span class="spacer"></span>
  <button id="forget" type="button" hidden>Forget key</button>
</header>
<div id="banner" role="alert" aria-live="assertive" aria-atomic="true"></div>
<main>
  <form id="key-form" hidden>
    <label for="key">Admin or client key</label>
    <input id="key" name="key" type="password" autocomplete="off" spellcheck="false" required>
    <button class="primary" type="submit">Show health</button>
    <p>Kept in this tab's session storage only, and sent as a Bearer token to /v1/health/carriers.
    An admin key shows every account; a client key shows that client's accounts.</p>
  </form>
  <form id="view" role="search" hidden>
    <label for="filter">Find</label>
    <input id="filter" name="q" type="search" placeholder="account or carrier" autocomplete="off" spellcheck="false">
    <label for="show">Show</label>
    <select id="show" name="status">
      <option value="">every account</option>
      <option value="failing">down or degraded</option>
    </select>
    <span class="spacer"></span>
    <span id="range" aria-live="polite"></span>
    <button id="prev" type="button">Previous ${OPS_PAGE_SIZE}</button>
    <button id="next" type="button">Next ${OPS_PAGE_SIZE}</button>
  </form>
  <div class="scroll">
  <table id="accounts" hidden>
    <caption>Health of each carrier account (trends: the last 24 hours in 15-minute slices; point at a chart, or focus it and use the arrow keys, for a slice's value)</caption>
    <thead><tr>${headerCells}</tr></thead>
    <tbody id="rows"></tbody>
  </table>
  <datalist id="account-ids"></datalist>
  </div>
</main>
<script>${script}</script>
</body>
</html>
`;
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(script)}`,
    `style-src ${sha256(OPS_STYLE)}`,
    "connect-src 'self'",
    "img-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
  return {
    html,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': csp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-resource-policy': 'same-origin',
      'cache-control': 'no-store',
    },
  };
}
