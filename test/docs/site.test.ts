import { existsSync, readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import sirv from 'sirv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../support/chromium';

/**
 * The built docs site (`npm run docs`) in a real Chromium: every page reached from the home page
 * by its links, and every .html in the build, is opened. It fails on a link to a page that does
 * not load, an #anchor that no element of its page has, a console error or an uncaught
 * exception, and an image or other resource that does not load.
 */
const DIST = fileURLToPath(new URL('../../docs/.vitepress/dist/', import.meta.url));

let http: Server;
let browser: Browser;
let origin: string;

/** Every .html file in the build, as a site path ('/sdk.html', '/api/tickwire/index.html'). */
function builtPages(dir = DIST, prefix = '/'): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (entry.isDirectory()) return entry.name === 'assets' ? [] : builtPages(`${dir}${entry.name}/`, `${prefix}${entry.name}/`);
    return entry.name.endsWith('.html') ? [`${prefix}${entry.name}`] : [];
  });
}

beforeAll(async () => {
  if (!existsSync(`${DIST}index.html`)) throw new Error(`the docs site is not built (${DIST} has no index.html): run npm run docs`);
  // Static files only, as a plain host serves them: a path with no file is a 404.
  const files = sirv(DIST, { dev: false, etag: false });
  http = createServer((req, res) =>
    files(req, res, () => {
      res.statusCode = 404;
      res.end('not found');
    }),
  );
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
});

interface Visit {
  status: number;
  ids: Set<string>;
  links: string[];
}

/** Open one page and read what it has: its status, its element ids, its links, its images. */
async function visit(page: Page, path: string, problems: string[]): Promise<Visit> {
  const response = await page.goto(origin + path, { waitUntil: 'load' });
  const status = response?.status() ?? 0;
  if (status !== 200) return { status, ids: new Set(), links: [] };
  const seen = await page.evaluate(() => ({
    ids: Array.from(document.querySelectorAll('[id]'), (el) => el.id),
    links: Array.from(document.querySelectorAll('a[href]'), (a) => (a as HTMLAnchorElement).href),
    brokenImages: Array.from(document.images)
      .filter((img) => !img.complete || img.naturalWidth === 0)
      .map((img) => img.src),
  }));
  for (const src of seen.brokenImages) problems.push(`${path}: image does not load: ${src}`);
  return { status, ids: new Set(seen.ids), links: seen.links };
}

describe('the docs site', () => {
  it('opens every page with no broken link, anchor or image and no console error', async () => {
    const page = await browser.newPage();
    const problems: string[] = [];
    let current = '';
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${current}: console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`${current}: uncaught: ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400) problems.push(`${current}: ${response.status()} for ${response.url()}`);
    });

    const visits = new Map<string, Visit>();
    /** [page the link is on, target path, anchor or ''] for every same-origin link. */
    const links: [from: string, path: string, anchor: string][] = [];
    const queue = ['/', ...builtPages()];
    while (queue.length > 0) {
      const path = queue.shift()!;
      if (visits.has(path)) continue;
      current = path;
      const seen = await visit(page, path, problems);
      visits.set(path, seen);
      for (const href of seen.links) {
        const url = new URL(href);
        if (url.origin !== origin) continue; // another site, or a server you run (localhost:8080)
        links.push([path, url.pathname, decodeURIComponent(url.hash.slice(1))]);
        if (!visits.has(url.pathname)) queue.push(url.pathname);
      }
    }

    for (const [from, path, anchor] of links) {
      const target = visits.get(path)!;
      if (target.status !== 200) problems.push(`${from}: link to ${path}, which answers ${target.status}`);
      else if (anchor && !target.ids.has(anchor)) problems.push(`${from}: link to ${path}#${anchor}, which has no such id`);
    }
    await page.close();

    // The walk reached the whole build, and the build has every page of the sidebar and the API.
    expect(visits.size).toBeGreaterThanOrEqual(builtPages().length);
    expect([...visits.keys()]).toEqual(expect.arrayContaining(['/getting-started.html', '/known-limits.html', '/api/tickwire/index.html']));
    expect(links.length).toBeGreaterThan(visits.size);
    expect([...new Set(problems)]).toEqual([]);
  });
});
