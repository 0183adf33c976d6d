/**
 * @module ops/runbooks
 * docs/runbooks/ served by the gateway itself at `/ops/runbooks/<name>`, so the runbook of a
 * failure class is one click from `/ops` in an incident, whatever `alerts.runbookBaseUrl` says.
 * The runbooks are the project's own Markdown; this renders the part of it they use (headings,
 * paragraphs, lists, code blocks, inline code, emphasis, links) to HTML, escaping everything else.
 * Links to another runbook stay on the gateway; other relative links point at nothing served and
 * are shown as text.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

import { projectRoot } from '../platform/project-root.js';

export const RUNBOOKS_PATH = '/ops/runbooks/';

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function inline(text: string, names: ReadonlySet<string>): string {
  const parts = text.split(/(`[^`]+`)/);
  return parts
    .map((part) => {
      if (part.startsWith('`') && part.endsWith('`') && part.length > 1)
        return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
      let html = escapeHtml(part);
      html = html.replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>');
      html = html.replace(/\[([^\]]+)\]\(([^)\s]+)\)/g, (_match, label: string, href: string) => {
        const runbook = /^(?:\.\/)?([a-z0-9-]+)\.md(#[\w-]*)?$/.exec(href);
        if (runbook !== null && names.has(runbook[1]!))
          return `<a href="${RUNBOOKS_PATH}${runbook[1]}${runbook[2] ?? ''}">${label}</a>`;
        if (/^https?:\/\//.test(href)) return `<a href="${href}" rel="noreferrer">${label}</a>`;
        return `${label} (<code>${href}</code>)`;
      });
      return html;
    })
    .join('');
}

const slug = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .trim()
    .replace(/\s+/g, '-');

/** The runbooks' Markdown as HTML (a body fragment). */
export function renderMarkdown(markdown: string, names: ReadonlySet<string>): string {
  const out: string[] = [];
  const lines = markdown.split('\n');
  let paragraph: string[] = [];
  let list: string[] | null = null;
  const flush = () => {
    if (paragraph.length > 0) out.push(`<p>${inline(paragraph.join(' '), names)}</p>`);
    paragraph = [];
    if (list !== null) out.push(`<ul>${list.map((item) => `<li>${inline(item, names)}</li>`).join('')}</ul>`);
    list = null;
  };
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index]!;
    if (line.startsWith('```')) {
      flush();
      const code: string[] = [];
      for (index += 1; index < lines.length && !lines[index]!.startsWith('```'); index += 1)
        code.push(lines[index]!);
      out.push(`<pre><code>${escapeHtml(code.join('\n'))}</code></pre>`);
      continue;
    }
    const heading = /^(#{1,4})\s+(.*)$/.exec(line);
    if (heading !== null) {
      flush();
      const level = heading[1]!.length;
      out.push(`<h${level} id="${slug(heading[2]!)}">${inline(heading[2]!, names)}</h${level}>`);
      continue;
    }
    const item = /^\s*(?:[-*]|\d+\.)\s+(.*)$/.exec(line);
    if (item !== null && (list !== null || paragraph.length === 0)) {
      if (paragraph.length > 0) flush();
      list ??= [];
      list.push(item[1]!);
      continue;
    }
    if (line.trim() === '') {
      flush();
      continue;
    }
    // A continuation line of a list item (indented) or of a paragraph.
    if (list !== null && /^\s+/.test(line)) list[list.length - 1] += ` ${line.trim()}`;
    else {
      if (list !== null) flush();
      paragraph.push(line.trim());
    }
  }
  flush();
  return out.join('\n');
}

export interface RunbookPages {
  names: readonly string[];
  /** The page of one runbook, or undefined when there is none by that name. */
  page(name: string): string | undefined;
}

/** Reads docs/runbooks/ once; the pages are rendered on first request and kept. */
export function loadRunbooks(folder = join(projectRoot(), 'docs', 'runbooks')): RunbookPages {
  // A copy of the program without docs/ (a trimmed image, `npm start` from a partial checkout)
  // still starts: /ops/runbooks/ then has no pages, and the runbook links answer 404.
  const files = existsSync(folder) ? readdirSync(folder).filter((file) => file.endsWith('.md')) : [];
  const names = new Set(files.map((file) => file.replace(/\.md$/, '')).filter((name) => name !== 'README'));
  const pages = new Map<string, string>();
  const render = (name: string, file: string) => {
    const body = renderMarkdown(readFileSync(join(folder, file), 'utf8'), names);
    const title = /^#\s+(.*)$/m.exec(readFileSync(join(folder, file), 'utf8'))?.[1] ?? name;
    return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escapeHtml(title)}: carrier-gateway runbook</title>
<style>body{font-family:system-ui,sans-serif;max-width:50em;margin:2em auto;padding:0 1em;line-height:1.5}pre{background:#f4f4f4;padding:.6em;overflow:auto}code{background:#eee;padding:0 .2em}nav a{margin-right:1em}</style>
</head>
<body>
<nav><a href="/ops">← /ops</a><a href="${RUNBOOKS_PATH}">All runbooks</a></nav>
${body}
</body>
</html>
`;
  };
  return {
    names: [...names].sort(),
    page(name) {
      const cached = pages.get(name);
      if (cached !== undefined) return cached;
      const file = name === '' ? 'README.md' : `${name}.md`;
      if (name !== '' && !names.has(name)) return undefined;
      if (!files.includes(file)) return undefined;
      const html = render(name || 'runbooks', file);
      pages.set(name, html);
      return html;
    },
  };
}
