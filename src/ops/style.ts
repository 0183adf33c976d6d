/**
 * @module ops/style
 * The operations page's stylesheet, inlined in the page and allowed by its hash in the
 * Content-Security-Policy (src/ops/page.ts). Plain CSS: no build step, no web fonts (the gateway
 * may have no internet). Colour is never the only signal: every badge also carries its word.
 */
export const OPS_STYLE = `
:root {
  color-scheme: light;
  --bg: #f6f7f9; --panel: #fff; --text: #1c2430; --muted: #5d6b7c; --line: #dde2e8;
  --ok: #1a7f37; --ok-bg: #dcf3e3; --warn: #8a5a00; --warn-bg: #fdf0cc;
  --bad: #b42318; --bad-bg: #fde3e1; --accent: #2457c5; --spark-lat: #7a3fb8;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px;
  padding: 16px 24px 12px; background: var(--panel); border-bottom: 1px solid var(--line); }
h1 { font-size: 20px; margin: 0; font-weight: 650; }
.meta { color: var(--muted); margin: 0; }
.meta strong { color: var(--text); font-weight: 600; }
header .spacer { flex: 1; }
button { font: inherit; padding: 5px 12px; border-radius: 6px; border: 1px solid var(--line);
  background: var(--panel); color: var(--text); cursor: pointer; }
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); border-color: var(--accent); color: #fff; }
:focus-visible { outline: 2px solid var(--accent); outline-offset: 2px; }
main { padding: 16px 24px 32px; }
#banner { margin: 12px 24px 0; padding: 10px 14px; border-radius: 6px; background: var(--bad-bg);
  color: var(--bad); border: 1px solid #f4b4ae; font-weight: 550; }
#banner:empty { display: none; }
form { max-width: 560px; padding: 16px; background: var(--panel); border: 1px solid var(--line);
  border-radius: 8px; }
form label { display: block; font-weight: 600; margin-bottom: 6px; }
form input { font: inherit; width: 100%; padding: 6px 8px; border: 1px solid var(--line); border-radius: 6px;
  margin-bottom: 10px; }
form p { color: var(--muted); margin: 10px 0 0; font-size: 13px; }
.scroll { overflow-x: auto; }
table { width: 100%; border-collapse: separate; border-spacing: 0; background: var(--panel);
  border: 1px solid var(--line); border-radius: 8px; overflow: hidden; transition: opacity .2s; }
table.stale { opacity: .55; }
caption { text-align: left; color: var(--muted); padding: 0 0 8px; caption-side: top; }
th, td { text-align: left; vertical-align: top; padding: 10px; border-bottom: 1px solid var(--line); }
thead th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  background: #fafbfc; font-weight: 600; white-space: nowrap; }
tbody tr:last-child > * { border-bottom: 0; }
tbody tr[data-status="down"] { background: #fffafa; }
tbody th { font-weight: 600; white-space: nowrap; }
tbody th .override-why { white-space: normal; max-width: 220px; }
.small { display: block; font-size: 12px; color: var(--muted); font-weight: 400; }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 1px 9px; border-radius: 999px; font-weight: 650; font-size: 12px;
  text-transform: uppercase; letter-spacing: .03em; border: 1px solid transparent; }
.badge-healthy { background: var(--ok-bg); color: var(--ok); border-color: #a8dcb8; }
.badge-degraded { background: var(--warn-bg); color: var(--warn); border-color: #f0d283; }
.badge-down { background: var(--bad-bg); color: var(--bad); border-color: #f4b4ae; }
.badge-unknown { background: #eceff3; color: var(--muted); }
.tag { display: inline-block; margin-top: 3px; padding: 0 6px; border-radius: 4px; font-size: 12px;
  background: var(--warn-bg); color: var(--warn); }
td[data-col="score"] { min-width: 110px; }
td[data-col="breaker"] { min-width: 160px; }
td[data-col="token"] { min-width: 130px; }
td[data-col="failing"], td[data-col="incidents"] { min-width: 190px; max-width: 280px; }
.score { font-size: 18px; font-weight: 650; font-variant-numeric: tabular-nums; }
meter { display: block; width: 72px; height: 8px; margin-top: 2px; }
.breaker { font-weight: 600; }
.breaker-closed { color: var(--ok); }
.breaker-half_open { color: var(--warn); }
.breaker-open { color: var(--bad); }
.num { font-variant-numeric: tabular-nums; white-space: nowrap; }
.trend { display: flex; flex-direction: column; gap: 2px; white-space: nowrap; }
svg.chart { display: block; background: #fbfcfd; border: 1px solid #eceff3; border-radius: 4px; cursor: crosshair; }
svg.chart .axis { stroke: #9aa5b3; stroke-width: 1; }
svg.chart .grid { stroke: #e3e7ec; stroke-width: 1; stroke-dasharray: 2 3; }
svg.chart .tick { font-size: 10px; fill: var(--muted); font-variant-numeric: tabular-nums; }
svg.chart .line { fill: none; stroke-width: 1.5; stroke-linejoin: round; stroke-linecap: round; }
svg.chart .guide { stroke: var(--text); stroke-width: 1; stroke-dasharray: 2 2; }
svg.chart .marker { fill: var(--panel); stroke-width: 2; }
svg.chart-success .line, svg.chart-success .marker { stroke: var(--accent); }
svg.chart-success .dot { fill: var(--accent); }
svg.chart-latency .line, svg.chart-latency .marker { stroke: var(--spark-lat); }
svg.chart-latency .dot { fill: var(--spark-lat); }
.chart-value { font-size: 12px; font-variant-numeric: tabular-nums; color: var(--muted); min-height: 1.4em; }
code { font: 12px/1.4 ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, monospace;
  background: #f0f2f5; padding: 1px 5px; border-radius: 4px; }
code.failure { background: var(--bad-bg); color: var(--bad); }
a { color: var(--accent); }
.runbook { display: block; font-size: 12px; margin-top: 3px; }
ul.incidents { list-style: none; margin: 0; padding: 0; }
ul.incidents li + li { margin-top: 6px; }
ul.incidents .count { font-weight: 650; font-variant-numeric: tabular-nums; }
table:not(.admin) .admin-only { display: none; }
td[data-col="actions"] { min-width: 70px; }
td[data-col="actions"] summary { cursor: pointer; color: var(--accent); font-weight: 600; }
form.act { max-width: none; width: 210px; padding: 8px; margin-top: 6px; border-radius: 6px; }
form.act label { font-size: 12px; margin: 4px 0 2px; }
form.act input, form.act select { font: inherit; font-size: 13px; width: 100%; padding: 3px 6px; margin: 0;
  border: 1px solid var(--line); border-radius: 4px; }
.act-buttons { display: flex; flex-wrap: wrap; gap: 4px; margin-top: 8px; }
.act-buttons button { padding: 3px 8px; font-size: 12px; }
.act-result { margin-top: 6px; white-space: normal; }
.act-result.act-refused { color: var(--bad); font-weight: 600; }
form#view { display: flex; flex-wrap: wrap; align-items: center; gap: 6px 10px; max-width: none;
  padding: 8px 12px; margin-bottom: 10px; }
form#view label { display: inline; margin: 0; }
form#view input, form#view select { width: auto; margin: 0; font: inherit; padding: 4px 8px;
  border: 1px solid var(--line); border-radius: 6px; }
form#view input { width: 220px; }
form#view .spacer { flex: 1; }
#range { color: var(--muted); font-variant-numeric: tabular-nums; }
button:disabled { opacity: .45; cursor: default; }
`;
