/**
 * @module test/ops/ops-route.test
 * `GET /ops` in-process: the page is served with a strict Content-Security-Policy whose hashes
 * are those of its one inline style and one inline script, the other security headers are set,
 * and the markup has no inline event handlers, inline styles, external resources or HTML sinks.
 * The browser test (ops-page.test.ts) shows the same policy holding in Chromium.
 */
import { createHash } from 'node:crypto';
import { Script } from 'node:vm';

import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';

import { getOps } from '../../src/http/routes/getOps.js';

const sha256 = (text: string) => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

async function fetchPage(options: Parameters<typeof getOps>[0] = {}) {
  const app = new Hono().get('/ops', getOps(options));
  const response = await app.request('/ops');
  const html = await response.text();
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  const styles = [...html.matchAll(/<style\b([^>]*)>([\s\S]*?)<\/style>/g)];
  const markup = html.replace(/<script\b[\s\S]*?<\/script>/g, '').replace(/<style\b[\s\S]*?<\/style>/g, '');
  const csp = new Map(
    (response.headers.get('content-security-policy') ?? '')
      .split(';')
      .map((directive) => directive.trim().split(/\s+/))
      .map(([name, ...values]) => [name!, values.join(' ')]),
  );
  return { response, html, scripts, styles, markup, csp };
}

describe('GET /ops', () => {
  it('is an HTML page with the security headers', async () => {
    const { response } = await fetchPage();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('cache-control')).toBe('no-store');
  });

  it('allows only its own inline style and script, by hash', async () => {
    const { scripts, styles, csp, response } = await fetchPage();
    expect(scripts).toHaveLength(1);
    expect(styles).toHaveLength(1);
    expect(scripts[0]![1]).toBe('');
    expect(csp.get('default-src')).toBe("'none'");
    expect(csp.get('script-src')).toBe(sha256(scripts[0]![2]!));
    expect(csp.get('style-src')).toBe(sha256(styles[0]![2]!));
    expect(csp.get('connect-src')).toBe("'self'");
    expect(csp.get('frame-ancestors')).toBe("'none'");
    expect(csp.get('base-uri')).toBe("'none'");
    expect(csp.get('form-action')).toBe("'none'");
    expect(csp.get('require-trusted-types-for')).toBe("'script'");
    expect(response.headers.get('content-security-policy')).not.toMatch(/unsafe-|nonce-|\*|https?:/);
  });

  it('has no inline event handlers, inline styles or resources from elsewhere', async () => {
    const { markup, scripts } = await fetchPage();
    expect(markup).not.toMatch(/<[^>]*\son[a-z]+\s*=/i);
    expect(markup).not.toMatch(/<[^>]*\sstyle\s*=/i);
    expect(markup).not.toMatch(/\s(src|href|action)\s*=/i);
    const script = scripts[0]![2]!;
    // Data is drawn with textContent and DOM nodes only; handlers are attached with addEventListener.
    expect(script).not.toMatch(
      /innerHTML|outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function/,
    );
    expect(script).not.toMatch(/\.on[a-z]+\s*=|setAttribute\(\s*['"]on|javascript:/i);
    expect(script.match(/https?:\/\/[^\s'"]*/g)).toEqual(['http://www.w3.org/2000/svg']);
  });

  it('holds no data and compiles as a classic script', async () => {
    const { scripts, markup } = await fetchPage();
    expect(markup).toContain('<tbody id="rows"></tbody>');
    expect(() => new Script(scripts[0]![2]!)).not.toThrow();
  });

  it('takes a default refresh and a runbook base, and refuses bad ones', async () => {
    const { scripts, html } = await fetchPage({
      refreshSeconds: 30,
      runbookBaseUrl: 'https://wiki.example/rb',
    });
    expect(html).toContain('<span id="interval">30</span>');
    expect(scripts[0]![2]).toContain('"runbookBaseUrl":"https://wiki.example/rb/"');
    expect(() => getOps({ refreshSeconds: 0 })).toThrow(/refreshSeconds/);
    expect(() => getOps({ runbookBaseUrl: 'javascript:alert(1)//' })).toThrow(/runbookBaseUrl/);
  });
});
