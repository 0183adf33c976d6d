/**
 * @module ops/script
 * The operations page's script, inlined in the page and allowed by its hash in the
 * Content-Security-Policy (src/ops/page.ts). The page carries no data: the script asks the
 * operator for an admin (or client) key once, keeps it in this tab's sessionStorage, and polls
 * `GET /v1/health/carriers?sort=severity` (one page of 50, worst first, with the totals) with it
 * as a Bearer token. Everything is drawn with DOM APIs and textContent, never markup built from
 * data, and the CSP's Trusted Types directive makes the browser refuse any HTML sink, should one
 * creep in.
 *
 * Plain ES2022 in a string (no build step); the browser test (test/ops/ops-page.test.ts) runs it
 * and the route test parses it. It avoids backticks and dollar-brace so it can live in a
 * template literal unescaped.
 */

export interface OpsScriptConfig {
  /** Seconds between refreshes when the URL has no `?refresh=`. */
  defaultRefreshSeconds: number;
  /** Failure class → runbook name (src/core/failures.ts `RUNBOOKS`). */
  runbooks: Readonly<Record<string, string>>;
  /** Where runbook names are found in the repository (`docs/runbooks/`). */
  runbookPath: string;
  /** An http(s) base the runbook names are appended to; without it runbooks are shown as paths. */
  runbookBaseUrl: string | null;
  /** Where the gateway serves the runbooks (`/ops/runbooks/`). */
  runbooksServedAt: string;
  /** Accounts per page (the gateway answers them worst first). */
  pageSize: number;
}

const CLIENT = String.raw`
(() => {
  'use strict';
  const KEY_ITEM = 'carrier-gateway.ops.key';
  const HEALTH_URL = '/v1/health/carriers';
  const ADMIN_URL = '/v1/admin/accounts/';
  // An admin key may read the audit log; a client key is refused (401): that tells them apart.
  const ADMIN_CHECK_URL = '/v1/admin/audit?limit=1';
  const FETCH_TIMEOUT_MS = 10000;
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const STATUSES = ['healthy', 'degraded', 'down'];
  const BREAKERS = ['closed', 'open', 'half_open'];
  const byId = (id) => document.getElementById(id);
  const ui = {
    form: byId('key-form'), input: byId('key'), banner: byId('banner'), table: byId('accounts'),
    rows: byId('rows'), updated: byId('updated'), summary: byId('summary'), forget: byId('forget'),
    interval: byId('interval'), targets: byId('account-ids'),
    view: byId('view'), filter: byId('filter'), show: byId('show'), prev: byId('prev'), next: byId('next'), range: byId('range'),
  };
  // One page of accounts at a time, worst first (the gateway sorts and slices): a fleet of
  // 10,000 accounts is neither fetched nor drawn whole.
  const PAGE_SIZE = CONFIG.pageSize;
  let offset = 0;

  const refreshSeconds = (() => {
    const asked = Number(new URLSearchParams(location.search).get('refresh'));
    return Number.isFinite(asked) && asked >= 1 ? Math.min(Math.floor(asked), 3600) : CONFIG.defaultRefreshSeconds;
  })();
  ui.interval.textContent = String(refreshSeconds);

  // sessionStorage can be switched off; the key then lives as long as the page.
  let keyInMemory = null;
  const readKey = () => { try { return sessionStorage.getItem(KEY_ITEM); } catch { return keyInMemory; } };
  const writeKey = (key) => { keyInMemory = key; try { sessionStorage.setItem(KEY_ITEM, key); } catch { /* memory only */ } };
  const forgetKey = () => { keyInMemory = null; try { sessionStorage.removeItem(KEY_ITEM); } catch { /* memory only */ } };

  function el(tag, attrs, children) {
    const node = document.createElement(tag);
    setAttributes(node, attrs);
    if (children) node.append(...children);
    return node;
  }
  function svg(tag, attrs) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttributes(node, attrs);
    return node;
  }
  function setAttributes(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === undefined || value === null || value === false) continue;
      if (name === 'text') node.textContent = String(value);
      else node.setAttribute(name, String(value));
    }
  }
  const small = (text) => el('span', { class: 'small', text });
  const known = (value, list) => (list.includes(value) ? value : 'unknown');
  const pad = (n) => String(n).padStart(2, '0');
  const hhmm = (at) => { const d = new Date(at); return pad(d.getHours()) + ':' + pad(d.getMinutes()); };
  const clock = (at) => { const d = new Date(at); return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()); };
  const percent = (rate) => (rate >= 1 ? '100%' : (rate * 100).toFixed(1) + '%');
  const millis = (ms) => (ms < 1000 ? Math.round(ms) + ' ms' : (ms / 1000).toFixed(1) + ' s');
  function duration(total) {
    const seconds = Math.floor(total);
    if (seconds <= 0) return 'expired';
    if (seconds < 60) return seconds + ' s';
    if (seconds < 3600) return Math.floor(seconds / 60) + ' min ' + pad(seconds % 60) + ' s';
    return Math.floor(seconds / 3600) + ' h ' + pad(Math.floor((seconds % 3600) / 60)) + ' min';
  }
  /** Text with a line-break opportunity after each dot, underscore and slash (long class names, codes, paths). */
  function breakable(text) {
    const nodes = [];
    String(text).split(/(?<=[._/])/).forEach((part, i) => { if (i > 0) nodes.push(document.createElement('wbr')); nodes.push(part); });
    return nodes;
  }
  const words = (name) => name.replace(/([a-z])([A-Z])/g, '$1 $2').replace(/_/g, ' ').toLowerCase();

  function runbook(failureClass, given) {
    const name = CONFIG.runbooks[failureClass];
    let href = null;
    if (typeof given === 'string' && /^https?:\/\//i.test(given)) href = given;
    else if (name && CONFIG.runbookBaseUrl) href = CONFIG.runbookBaseUrl + name + '.md';
    if (href) {
      return el('a', { class: 'runbook', href, target: '_blank', rel: 'noopener noreferrer', text: 'runbook: ' + (name || href) });
    }
    // The gateway serves its runbooks itself (src/ops/runbooks.ts): one click in an incident.
    if (name) return el('a', { class: 'runbook', href: CONFIG.runbooksServedAt + name, text: 'runbook: ' + name });
    const path = typeof given === 'string' ? given : null;
    if (!path) return small('no runbook');
    return el('span', { class: 'runbook', title: 'in the gateway repository' }, ['runbook: ', el('code', {}, breakable(path))]);
  }

  /** A round upper bound for a latency axis: 100, 200, 500, 1000, 2000, 5000 ms ... */
  function niceMax(value) {
    for (let decade = 100; ; decade *= 10) for (const m of [1, 2, 5]) if (m * decade >= value) return m * decade;
  }

  /**
   * A 24-hour chart with axes: value ticks with their unit on the left, times (slice starts, this
   * browser's local time) below, one line per run of 15-minute slices with data (a lone point is a
   * dot). Pointing at it marks the nearest slice with data and writes its time and value in the
   * caption under the chart; the arrow keys do the same from the keyboard.
   */
  function chart(points, kind, label) {
    const W = 224, H = 84, L = 42, R = 8, T = 6, B = 18;
    const values = points.map((p) => p.value);
    const present = values.filter((v) => typeof v === 'number');
    const format = kind === 'success' ? percent : millis;
    const max = kind === 'success' ? 1 : niceMax(Math.max(100, ...present));
    const n = points.length;
    const x = (i) => L + (n < 2 ? 0 : (i * (W - L - R)) / (n - 1));
    const y = (v) => H - B - (Math.min(Math.max(v, 0), max) / max) * (H - T - B);
    const root = svg('svg', { class: 'chart chart-' + kind, width: W, height: H, viewBox: '0 0 ' + W + ' ' + H,
      role: 'img', 'aria-label': label, tabindex: 0, focusable: 'true' });
    const title = svg('title', {});
    title.textContent = label;
    root.append(title);
    for (const tick of [0, max / 2, max]) {
      root.append(svg('line', { class: tick === 0 ? 'axis' : 'grid', x1: L, x2: W - R, y1: y(tick), y2: y(tick) }));
      const text = kind === 'success' ? Math.round(tick * 100) + '%' : millis(tick);
      root.append(svg('text', { class: 'tick tick-y', x: L - 4, y: y(tick) + 3, 'text-anchor': 'end', text }));
    }
    root.append(svg('line', { class: 'axis', x1: L, x2: L, y1: T, y2: H - B }));
    if (n > 0) {
      [0, Math.round((n - 1) / 3), Math.round((2 * (n - 1)) / 3), n - 1].forEach((i, k, all) => {
        root.append(svg('line', { class: 'axis', x1: x(i), x2: x(i), y1: H - B, y2: H - B + 3 }));
        const anchor = k === 0 ? 'start' : k === all.length - 1 ? 'end' : 'middle';
        root.append(svg('text', { class: 'tick tick-x', x: x(i), y: H - 4, 'text-anchor': anchor, text: hhmm(points[i].at) }));
      });
    }
    let run = [];
    const flush = () => {
      if (run.length === 1) root.append(svg('circle', { class: 'dot', cx: run[0][0], cy: run[0][1], r: 1.8 }));
      else if (run.length > 1) root.append(svg('path', { class: 'line', d: 'M' + run.map((p) => p[0].toFixed(1) + ' ' + p[1].toFixed(1)).join('L') }));
      run = [];
    };
    values.forEach((v, i) => { if (typeof v === 'number') run.push([x(i), y(v)]); else flush(); });
    flush();
    const guide = svg('line', { class: 'guide', y1: T, y2: H - B, visibility: 'hidden' });
    const marker = svg('circle', { class: 'marker', r: 3.2, visibility: 'hidden' });
    root.append(guide, marker);
    const latest = present.length > 0 ? format(present[present.length - 1]) : 'no data';
    const caption = el('span', { class: 'chart-value', text: 'latest ' + latest });
    caption.setAttribute('aria-live', 'polite');
    let shown = -1;
    const show = (i) => {
      shown = i;
      if (i < 0) {
        guide.setAttribute('visibility', 'hidden');
        marker.setAttribute('visibility', 'hidden');
        caption.textContent = 'latest ' + latest;
        return;
      }
      guide.setAttribute('x1', x(i)); guide.setAttribute('x2', x(i));
      marker.setAttribute('cx', x(i)); marker.setAttribute('cy', y(values[i]));
      guide.setAttribute('visibility', 'visible');
      marker.setAttribute('visibility', 'visible');
      const end = new Date(Date.parse(points[i].at) + 15 * 60000).toISOString();
      caption.textContent = hhmm(points[i].at) + '\u2013' + hhmm(end) + ' \u00b7 ' + format(values[i]);
    };
    /** The slice with data nearest to slice i (none: -1). */
    const nearest = (i) => {
      for (let d = 0; d < n; d += 1) {
        if (typeof values[i - d] === 'number') return i - d;
        if (typeof values[i + d] === 'number') return i + d;
      }
      return -1;
    };
    root.addEventListener('pointermove', (event) => {
      const box = root.getBoundingClientRect();
      const at = ((event.clientX - box.left) * W) / box.width;
      show(nearest(Math.round(((at - L) / (W - L - R)) * (n - 1))));
    });
    root.addEventListener('pointerleave', () => show(-1));
    root.addEventListener('blur', () => show(-1));
    root.addEventListener('keydown', (event) => {
      if (event.key !== 'ArrowLeft' && event.key !== 'ArrowRight') return;
      event.preventDefault();
      const step = event.key === 'ArrowLeft' ? -1 : 1;
      let i = shown < 0 ? (step < 0 ? n : -1) : shown;
      do i += step; while (i >= 0 && i < n && typeof values[i] !== 'number');
      if (i >= 0 && i < n) show(i);
    });
    return el('div', { class: 'trend' }, [root, caption]);
  }

  function trendCell(trend, field, kind, describe) {
    const points = (trend || []).map((p) => ({ at: p.at, value: p[field] }));
    const present = points.map((p) => p.value).filter((v) => typeof v === 'number');
    const latest = present.length > 0 ? present[present.length - 1] : null;
    return [chart(points, kind, describe(present, latest))];
  }

  function countsOf(record) {
    return Object.entries(record || {}).filter((e) => e[1] > 0).sort((a, b) => b[1] - a[1]);
  }

  const COLUMNS = [
    { name: 'account', header: true, key: (h) => [h.account, h.carrier, h.override], render: (h) => {
      const parts = [h.account, small(h.carrier)];
      const o = h.override || {};
      const p = o.parts || {};
      const why = (part) => [part && part.reason || o.reason, part && part.by && 'by ' + part.by, part && part.until && 'until ' + new Date(part.until).toISOString()].filter(Boolean).join(', ');
      // Reason, owner and expiry are written out, not hidden in a tooltip: they are what the next
      // operator on the incident needs first.
      const tag = (text, part) => {
        parts.push(el('span', { class: 'tag', text }));
        const detail = why(part);
        if (detail) parts.push(el('span', { class: 'small override-why', text: detail }));
      };
      if (o.failover) tag('failed over' + (o.failover.to ? ' \u2192 ' + o.failover.to : ''), p.failover);
      if (o.drained) tag('drained', p.drained);
      if (o.breaker && o.breaker !== 'auto') tag('breaker forced ' + o.breaker, p.breaker);
      return parts;
    } },
    { name: 'status', key: (h) => [h.status, reasonOf(h)], render: (h) => {
      const parts = [el('span', { class: 'badge badge-' + known(h.status, STATUSES), text: h.status })];
      const reason = h.status !== 'healthy' ? reasonOf(h) : null;
      if (reason) parts.push(el('span', { class: 'small reason', text: reason }));
      return parts;
    } },
    { name: 'score', key: (h) => [h.score, h.inputs], render: (h) => {
      const penalties = (h.inputs || []).filter((i) => i.penalty > 0).sort((a, b) => b.penalty - a.penalty);
      return [
        el('span', { class: 'score', text: h.score }),
        el('meter', { min: 0, max: 100, low: 40, high: 80, optimum: 100, value: h.score, 'aria-hidden': 'true' }),
        ...penalties.slice(0, 3).map((i) => small('\u2212' + i.penalty + ' ' + words(i.name))),
      ];
    } },
    { name: 'breaker', key: (h) => [h.breaker, h.override && h.override.breaker], render: (h) => {
      const b = h.breaker || {};
      // An operator's force decides what requests meet, whatever the breaker's own state: the
      // cell shows the force, and the own state beside it.
      const forced = h.override && (h.override.breaker === 'open' || h.override.breaker === 'closed') ? h.override.breaker : null;
      const shown = forced || b.state;
      const parts = [el('span', { class: 'breaker breaker-' + known(shown, BREAKERS), text: words(String(shown || 'unknown')) })];
      if (forced) parts.push(small('forced by an operator; own state ' + words(String(b.state || 'unknown'))));
      if (!forced && b.state === 'open' && b.openUntil) parts.push(small('trial after ' + clock(b.openUntil)));
      if (b.cause && b.cause !== 'initial') parts.push(el('span', { class: 'small' }, breakable(b.cause)));
      return parts;
    } },
    { name: 'token', key: (h) => h.token, render: (h) => {
      const t = h.token || {};
      const parts = [el('span', { class: 'num', text: typeof t.expiresInSeconds === 'number' ? duration(t.expiresInSeconds) : '\u2014' })];
      if (t.state && t.state !== 'ok') parts.push(small(words(t.state)));
      const r = t.secretRotation;
      if (r) parts.push(small(r.inUse === 'next' ? 'next secret accepted: promote it' : 'next secret ' + words(String(r.next))));
      const l = t.refreshLatencyMs || {};
      if (typeof l.p95 === 'number') parts.push(small('refresh p50 ' + millis(l.p50)), small('refresh p95 ' + millis(l.p95)));
      return parts;
    } },
    { name: 'success', key: (h) => (h.trend || []).map((p) => [p.at, p.successRate]), render: (h) =>
      trendCell(h.trend, 'successRate', 'success', (present, latest) => latest === null
        ? 'Success rate, last 24 hours: no data'
        : 'Success rate, last 24 hours: latest ' + percent(latest) + ', lowest ' + percent(Math.min(...present))) },
    { name: 'latency', key: (h) => (h.trend || []).map((p) => [p.at, p.refreshLatencyP95Ms]), render: (h) =>
      trendCell(h.trend, 'refreshLatencyP95Ms', 'latency', (present, latest) => latest === null
        ? 'Token refresh latency p95, last 24 hours: no data'
        : 'Token refresh latency p95, last 24 hours: latest ' + millis(latest) + ', highest ' + millis(Math.max(...present))) },
    { name: 'failing', key: (h) => [h.currentFailureClass, h.runbook], render: (h) => h.currentFailureClass
      ? [el('code', { class: 'failure' }, breakable(h.currentFailureClass)), runbook(h.currentFailureClass, h.runbook)]
      : [el('span', { class: 'muted', text: 'nothing' })] },
    { name: 'incidents', key: (h) => h.failures, render: (h) => {
      const failures = h.failures || {};
      const hour = countsOf(failures['1h']);
      const day = countsOf(failures['24h']).reduce((sum, e) => sum + e[1], 0);
      const parts = hour.length === 0
        ? [el('span', { class: 'muted', text: 'none' })]
        : [el('ul', { class: 'incidents' }, hour.map((e) => el('li', {}, [
            el('code', {}, breakable(e[0])), ' ', el('span', { class: 'count', text: '\u00d7' + e[1] }), runbook(e[0], null),
          ])))];
      parts.push(small(day + ' failure' + (day === 1 ? '' : 's') + ' in 24 h'));
      return parts;
    } },
  ];

  /**
   * The operator's actions on an account, for an admin key only: fail over (to a named account or
   * to each request's next one), restore, drain and undrain, each with a reason the page insists
   * on (the admin API audits it with the key's id). The key goes in the Authorization header from
   * this script, never in a cookie, so a page on another site cannot make the browser send it
   * (docs/security.md, "The /ops page's actions").
   */
  const ACTIONS = {
    failover: { method: 'POST', path: 'failover', label: 'Fail over', done: 'failed over' },
    restore: { method: 'DELETE', path: 'failover', label: 'Restore', done: 'restored' },
    drain: { method: 'POST', path: 'drain', label: 'Drain', done: 'drained' },
    undrain: { method: 'DELETE', path: 'drain', label: 'Undrain', done: 'undrained' },
  };
  const DURATIONS = [['', 'until undone'], ['3600', 'for 1 h'], ['14400', 'for 4 h'], ['86400', 'for 24 h']];
  let isAdmin = false;

  function actionForm(account) {
    const id = (name) => 'act-' + name + '-' + account.replace(/[^A-Za-z0-9_-]/g, '_');
    const reason = el('input', { id: id('reason'), name: 'reason', type: 'text', maxlength: 500, autocomplete: 'off',
      placeholder: 'INC-42 token endpoint down', 'aria-required': 'true' });
    const to = el('input', { id: id('to'), name: 'to', type: 'text', list: 'account-ids', autocomplete: 'off', placeholder: 'next in order' });
    const ttl = el('select', { id: id('ttl'), name: 'ttl' }, DURATIONS.map((d) => el('option', { value: d[0], text: d[1] })));
    const result = el('output', { class: 'small act-result', 'aria-live': 'polite' });
    const buttons = Object.entries(ACTIONS).map(([action, spec]) => {
      const button = el('button', { type: 'button', 'data-action': action, text: spec.label });
      button.addEventListener('click', () => void act(account, action, { reason, to, ttl, result, buttons }));
      return button;
    });
    const form = el('form', { class: 'act', 'aria-label': 'Act on ' + account }, [
      el('label', { for: id('reason'), text: 'Reason (audited)' }), reason,
      el('label', { for: id('to'), text: 'Fail over to' }), to,
      el('label', { for: id('ttl'), text: 'Lasts' }), ttl,
      el('div', { class: 'act-buttons' }, buttons), result,
    ]);
    // Enter in a field does nothing by itself: each action is a button of its own.
    form.addEventListener('submit', (event) => event.preventDefault());
    return [el('details', {}, [el('summary', { text: 'Act' }), form])];
  }

  async function act(account, action, form) {
    const spec = ACTIONS[action];
    const reason = form.reason.value.trim();
    if (!reason) {
      form.result.textContent = 'Refused: say why first (the reason goes to the audit log).';
      form.result.classList.add('act-refused');
      form.reason.focus();
      return;
    }
    const key = readKey();
    if (!key) { showKeyForm(); return; }
    const body = { reason };
    if ((action === 'failover' || action === 'drain') && form.ttl.value) body.ttlSeconds = Number(form.ttl.value);
    if (action === 'failover' && form.to.value.trim()) body.to = form.to.value.trim();
    form.buttons.forEach((b) => { b.disabled = true; });
    form.result.classList.remove('act-refused');
    form.result.textContent = spec.label + '\u2026';
    try {
      const response = await fetch(ADMIN_URL + encodeURIComponent(account) + '/' + spec.path, {
        method: spec.method,
        headers: { authorization: 'Bearer ' + key, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body), cache: 'no-store', credentials: 'omit', redirect: 'error',
      });
      if (response.ok) {
        form.result.textContent = spec.done + ' at ' + clock(Date.now());
        form.reason.value = '';
      } else {
        let what = 'HTTP ' + response.status;
        try {
          const problem = await response.json();
          what = [problem.code, problem.detail || problem.title].filter(Boolean).join(': ') || what;
        } catch { /* not JSON */ }
        form.result.textContent = 'Refused: ' + what;
        form.result.classList.add('act-refused');
      }
    } catch {
      form.result.textContent = 'The gateway could not be reached; nothing is known to have changed.';
      form.result.classList.add('act-refused');
    } finally {
      form.buttons.forEach((b) => { b.disabled = false; });
    }
    void refresh();
  }

  /** Whether the key is an admin key (asked once per key). */
  async function checkAdmin(key) {
    try {
      const response = await fetch(ADMIN_CHECK_URL, {
        headers: { authorization: 'Bearer ' + key, accept: 'application/json' },
        cache: 'no-store', credentials: 'omit', redirect: 'error',
      });
      return response.ok;
    } catch {
      return false;
    }
  }
  COLUMNS.push({ name: 'actions', adminOnly: true, key: () => isAdmin, render: (h) => (isAdmin ? actionForm(h.account) : []) });

  const SEVERITY = { down: 0, degraded: 1, healthy: 2 };
  function bySeverity(a, b) {
    const rank = (h) => (h.status in SEVERITY ? SEVERITY[h.status] : -1);
    const [x, y] = [String(a.account), String(b.account)];
    return rank(a) - rank(b) || (a.score ?? 0) - (b.score ?? 0) || (x < y ? -1 : x > y ? 1 : 0);
  }
  /** Why an account is not healthy, in a few words: its failure now, else its largest penalty. */
  function reasonOf(h) {
    if (h.currentFailureClass) return h.currentFailureClass;
    if (h.breaker && h.breaker.state === 'open') return 'breaker open' + (h.breaker.cause ? ': ' + h.breaker.cause : '');
    const worst = (h.inputs || []).filter((i) => i.penalty > 0).sort((a, b) => b.penalty - a.penalty)[0];
    return worst ? words(worst.name) : null;
  }

  const rows = new Map();
  const drawn = new WeakMap();

  function rowFor(account) {
    let row = rows.get(account);
    if (row) return row;
    const tr = el('tr', { 'data-account': account });
    const cells = new Map();
    for (const column of COLUMNS) {
      const cell = el(column.header ? 'th' : 'td', { 'data-col': column.name, class: column.adminOnly ? 'admin-only' : undefined });
      if (column.header) cell.setAttribute('scope', 'row');
      cells.set(column.name, cell);
      tr.append(cell);
    }
    row = { tr, cells };
    rows.set(account, row);
    return row;
  }

  /** Redraws only the cells whose data changed, so a focused link survives a refresh. */
  function render(unsorted, total, counted) {
    // Worst first: down, then degraded, then healthy; the lowest score first within each.
    const carriers = [...unsorted].sort(bySeverity);
    const seen = new Set();
    carriers.forEach((health, index) => {
      const row = rowFor(health.account);
      seen.add(health.account);
      row.tr.setAttribute('data-status', known(health.status, STATUSES));
      for (const column of COLUMNS) {
        const cell = row.cells.get(column.name);
        const key = JSON.stringify(column.key(health));
        if (drawn.get(cell) === key) continue;
        cell.replaceChildren(...column.render(health));
        drawn.set(cell, key);
      }
      if (ui.rows.children[index] !== row.tr) ui.rows.insertBefore(row.tr, ui.rows.children[index] || null);
    });
    for (const [account, row] of rows) if (!seen.has(account)) { row.tr.remove(); rows.delete(account); }
    if (isAdmin) ui.targets.replaceChildren(...[...seen].sort().map((account) => el('option', { value: account })));
    const byStatus = counted || Object.fromEntries(STATUSES.map((s) => [s, carriers.filter((h) => h.status === s).length]));
    const all = STATUSES.reduce((sum, s) => sum + (byStatus[s] || 0), 0);
    const counts = ['down', 'degraded', 'healthy'].map((s) => [s, byStatus[s] || 0]).filter((e) => e[1] > 0);
    ui.summary.textContent = all + ' account' + (all === 1 ? '' : 's') +
      counts.map((e) => ' \u00b7 ' + e[1] + ' ' + e[0]).join('');
    const matching = typeof total === 'number' ? total : carriers.length;
    ui.range.textContent = matching === 0 ? 'no account matches'
      : (offset + 1) + '\u2013' + (offset + carriers.length) + ' of ' + matching + (matching === all ? '' : ' matching');
    ui.prev.disabled = offset === 0;
    ui.next.disabled = offset + PAGE_SIZE >= matching;
    ui.view.hidden = false;
    ui.table.hidden = false;
  }

  const showBanner = (text) => { ui.banner.textContent = text; };

  function showKeyForm() {
    ui.form.hidden = false;
    ui.forget.hidden = true;
    ui.input.focus();
  }

  async function problemOf(response) {
    let what = 'HTTP ' + response.status;
    try {
      const body = await response.json();
      if (body && typeof body.code === 'string') what = body.code + ', ' + what;
    } catch { /* not JSON */ }
    return what;
  }

  function listUrl() {
    const query = new URLSearchParams({ sort: 'severity', limit: String(PAGE_SIZE), offset: String(offset) });
    const q = ui.filter.value.trim();
    if (q) query.set('q', q);
    if (ui.show.value) query.set('status', ui.show.value);
    return HEALTH_URL + '?' + query.toString();
  }

  let timer = 0;
  let inFlight = false;
  let pending = false;
  let checkedKey = null;
  let lastSuccess = null;

  async function refresh() {
    clearTimeout(timer);
    const key = readKey();
    if (!key) { showKeyForm(); return; }
    // A change asked for while a refresh is under way (another page, a filter) runs right after it.
    if (inFlight) { pending = true; return; }
    inFlight = true;
    pending = false;
    if (checkedKey !== key) {
      isAdmin = await checkAdmin(key);
      checkedKey = key;
      ui.table.classList.toggle('admin', isAdmin);
    }
    const controller = new AbortController();
    const abort = setTimeout(() => controller.abort(), FETCH_TIMEOUT_MS);
    try {
      let response;
      try {
        response = await fetch(listUrl(), {
          headers: { authorization: 'Bearer ' + key, accept: 'application/json' },
          cache: 'no-store', credentials: 'omit', redirect: 'error', signal: controller.signal,
        });
      } catch (error) {
        throw new Error(error && error.name === 'AbortError' ? 'no answer within ' + FETCH_TIMEOUT_MS / 1000 + ' s'
          : 'the gateway could not be reached');
      }
      if (response.status === 401 || response.status === 403) {
        const what = await problemOf(response);
        forgetKey();
        showBanner('The key was refused (' + what + '). Enter an admin or client key.');
        showKeyForm();
        return;
      }
      if (!response.ok) throw new Error(await problemOf(response));
      const body = await response.json();
      if (!body || !Array.isArray(body.carriers)) throw new Error('the answer has no carriers list');
      // The accounts went away under the page (a reload, a narrower filter): back to the last page.
      if (body.carriers.length === 0 && offset > 0 && typeof body.total === 'number' && body.total > 0) {
        offset = Math.floor((body.total - 1) / PAGE_SIZE) * PAGE_SIZE;
        pending = true;
      } else render(body.carriers, body.total, body.counts);
      lastSuccess = Date.now();
      ui.updated.textContent = 'Updated ' + clock(lastSuccess);
      ui.updated.setAttribute('datetime', new Date(lastSuccess).toISOString());
      ui.table.classList.remove('stale');
      showBanner('');
    } catch (error) {
      const reason = String((error && error.message) || error);
      showBanner('Refresh failed at ' + clock(Date.now()) + ': ' + reason + '. ' +
        (lastSuccess === null ? 'No data yet.' : 'Showing data from ' + clock(lastSuccess) + '.'));
      ui.table.classList.add('stale');
    } finally {
      clearTimeout(abort);
      inFlight = false;
    }
    if (pending) return refresh();
    if (readKey()) timer = setTimeout(refresh, refreshSeconds * 1000);
  }

  ui.form.addEventListener('submit', (event) => {
    event.preventDefault();
    const key = ui.input.value.trim();
    if (!key) return;
    writeKey(key);
    ui.input.value = '';
    ui.form.hidden = true;
    ui.forget.hidden = false;
    showBanner('');
    void refresh();
  });
  ui.forget.addEventListener('click', () => {
    forgetKey();
    checkedKey = null;
    isAdmin = false;
    ui.table.classList.remove('admin');
    clearTimeout(timer);
    for (const row of rows.values()) row.tr.remove();
    rows.clear();
    ui.table.hidden = true;
    ui.view.hidden = true;
    offset = 0;
    ui.summary.textContent = '';
    ui.updated.textContent = 'Not loaded';
    showKeyForm();
  });
  let typing = 0;
  ui.view.addEventListener('submit', (event) => event.preventDefault());
  ui.filter.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => { offset = 0; void refresh(); }, 250);
  });
  ui.show.addEventListener('change', () => { offset = 0; void refresh(); });
  ui.prev.addEventListener('click', () => { offset = Math.max(0, offset - PAGE_SIZE); void refresh(); });
  ui.next.addEventListener('click', () => { offset += PAGE_SIZE; void refresh(); });
  document.addEventListener('visibilitychange', () => { if (document.visibilityState === 'visible' && readKey()) void refresh(); });

  if (readKey()) { ui.forget.hidden = false; void refresh(); } else showKeyForm();
})();
`;

/** The script with its configuration in front of it (`<` escaped so no `</script>` can appear). */
export function opsScript(config: OpsScriptConfig): string {
  const json = JSON.stringify(config).replace(/</g, '\\u003c');
  return `\nconst CONFIG = Object.freeze(${json});${CLIENT}`;
}
