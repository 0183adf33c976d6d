/**
 * @module http/routes/getDocs
 * The gateway's own reference, served by the gateway (no CDN, nothing loaded from elsewhere):
 * `GET /openapi.json` (src/http/openapi.ts), `GET /docs` (Swagger UI from the swagger-ui-dist
 * package, reading /openapi.json), its assets under `/docs/assets/`, and `GET /docs/errors`, one
 * section per error code, which is where every problem's `type` points (`/docs/errors#<code>`).
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

import type { Context } from 'hono';
import { z } from 'zod';

import { ERROR_CATALOGUE, ERROR_CODES } from '../../core/errors.js';
import { RUNBOOKS } from '../../core/failure-classes.js';
import { projectRoot } from '../../platform/project-root.js';
import type { AppEnv } from '../env.js';
import { ERRORS_PAGE, buildOpenApi } from '../openapi.js';
import type { RouteDoc } from '../openapi-route.js';

const PAGE_HEADERS = {
  'cache-control': 'no-cache',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};
/** Swagger UI styles elements inline and shows data: images; its script is a file of ours. */
const DOCS_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "connect-src 'self'; font-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/** The files of swagger-ui-dist the page uses, and their types; nothing else is served. */
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

const INIT_SCRIPT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '/openapi.json',
    dom_id: '#swagger-ui',
    deepLinking: true,
    presets: [SwaggerUIBundle.presets.apis],
    layout: 'BaseLayout',
  });
});
`;

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>carrier-gateway API reference</title>
<link rel="icon" href="/docs/assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/assets/init.js"></script>
</body>
</html>
`;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function errorsPage(): string {
  const sections = ERROR_CODES.map((code) => {
    const entry = ERROR_CATALOGUE[code];
    const runbook =
      entry.failureClass !== null
        ? ` Failure class <code>${entry.failureClass}</code>; runbook <a href="/ops/runbooks/${RUNBOOKS[entry.failureClass]}">${RUNBOOKS[entry.failureClass]}</a>.`
        : '';
    const carrier = entry.countsAgainstCarrier ? ' Counts against the carrier account (auth breaker).' : '';
    return `<section id="${code}">
<h2><a href="#${code}">${code}</a></h2>
<p><strong>HTTP ${entry.status}</strong>: ${escapeHtml(entry.title)}.${runbook}${carrier}</p>
</section>`;
  }).join('\n');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>carrier-gateway errors</title>
<style>body{font-family:system-ui,sans-serif;max-width:48em;margin:2em auto;padding:0 1em;line-height:1.5}section{border-top:1px solid #ddd}section:target{background:#fff6d6}code{background:#eee;padding:0 .2em}</style>
</head>
<body>
<h1>Error codes</h1>
<p>Every error is an RFC 9457 <code>application/problem+json</code> body whose <code>code</code> is one of these and never changes; <code>type</code> links here, <code>instance</code> names the request (<code>X-Request-Id</code>). The <a href="/docs">API reference</a> lists which routes answer which.</p>
${sections}
</body>
</html>
`;
}

let swaggerDir: string | undefined;
const assetCache = new Map<string, Buffer>();

function asset(name: string): Buffer {
  let cached = assetCache.get(name);
  if (cached === undefined) {
    swaggerDir ??= dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
    cached = readFileSync(join(swaggerDir, name));
    assetCache.set(name, cached);
  }
  return cached;
}

function packageVersion(): string {
  const text = readFileSync(join(projectRoot(), 'package.json'), 'utf8');
  return (JSON.parse(text) as { version: string }).version;
}

const html = { description: 'An HTML page', contentType: 'text/html' };

export const getOpenApiDoc: RouteDoc = {
  method: 'get',
  path: '/openapi.json',
  operationId: 'getOpenApi',
  tag: 'Documentation',
  summary: 'This API as an OpenAPI 3.1 document',
  auth: 'none',
  answers: { 200: { description: 'The document', schema: z.looseObject({ openapi: z.string() }) } },
  problems: [],
};

export const getDocsDoc: RouteDoc = {
  method: 'get',
  path: '/docs',
  operationId: 'getDocs',
  tag: 'Documentation',
  summary: 'The interactive API reference (Swagger UI, served by the gateway)',
  auth: 'none',
  answers: { 200: html },
  problems: [],
};

export const getDocsAssetDoc: RouteDoc = {
  method: 'get',
  path: '/docs/assets/:file',
  operationId: 'getDocsAsset',
  tag: 'Documentation',
  summary: "The reference page's script, styles and icon",
  auth: 'none',
  params: { file: `One of init.js, ${Object.keys(ASSETS).join(', ')}` },
  answers: { 200: { description: 'The file', contentType: 'application/octet-stream' } },
  problems: ['ERR_ROUTE_NOT_FOUND'],
};

export const getErrorsDoc: RouteDoc = {
  method: 'get',
  path: ERRORS_PAGE,
  operationId: 'getErrors',
  tag: 'Documentation',
  summary: 'Every error code, one section each (`#<code>`): where a problem\u2019s `type` points',
  auth: 'none',
  answers: { 200: html },
  problems: [],
};

/** `/openapi.json`, built once from the routes registered when it is first asked for. */
export function getOpenApi(docs: () => readonly RouteDoc[]) {
  let document: string | undefined;
  return function openApi(c: Context<AppEnv>) {
    document ??= JSON.stringify(buildOpenApi(docs(), { version: packageVersion() }));
    return c.body(document, 200, { 'content-type': 'application/json', 'cache-control': 'no-cache' });
  };
}

export function getDocs() {
  return function docs(c: Context<AppEnv>) {
    return c.html(DOCS_PAGE, 200, { ...PAGE_HEADERS, 'content-security-policy': DOCS_CSP });
  };
}

export function getDocsAsset() {
  return function docsAsset(c: Context<AppEnv>) {
    const file = c.req.param('file') ?? '';
    if (file === 'init.js') {
      return c.body(INIT_SCRIPT, 200, { ...PAGE_HEADERS, 'content-type': 'text/javascript; charset=utf-8' });
    }
    const type = ASSETS[file];
    if (type === undefined) return c.notFound();
    return c.body(new Uint8Array(asset(file)), 200, {
      'content-type': type,
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
  };
}

export function getErrors() {
  const page = errorsPage();
  return function errors(c: Context<AppEnv>) {
    return c.html(page, 200, {
      ...PAGE_HEADERS,
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'",
    });
  };
}
