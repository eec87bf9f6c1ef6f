/**
 * The HTML report in a real browser: Debian's headless Chromium (/usr/bin/chromium, never a downloaded
 * one) driven by playwright-core opens the file with every request but the file itself blocked, and
 * checks that nothing failed or was fetched, no console error, every chart drawn, and no text outside its
 * card. The screenshot lands in test/artifacts/ (git-ignored) for a person to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { openStore } from '../../src/store/db.js';
import { ensureValidated } from '../../src/validate/ensure.js';
import { custkit, ROOT, tempDb, tempDir } from '../helpers/cli.js';
import { generateShop, scoreHistory } from './synthetic.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const ARTIFACTS = path.join(ROOT, 'test/artifacts');
const AS_OF = '2025-06-30';

if (!fs.existsSync(CHROMIUM)) console.warn(`${CHROMIUM} not found: the browser test of the HTML report is skipped (apt-get install chromium)`);

describe.skipIf(!fs.existsSync(CHROMIUM))('the HTML report in headless Chromium', () => {
  let browser: Browser;
  const files: Record<string, string> = {};

  beforeAll(async () => {
    const db = tempDb();
    const store = openStore(db);
    generateShop(store, { contacts: 2_000, until: AS_OF });
    ensureValidated(store, { workers: 0 });
    scoreHistory(store, AS_OF);
    store.close();
    const dir = tempDir();
    for (const lang of ['fr', 'en']) {
      files[lang] = path.join(dir, `report-${lang}.html`);
      const result = custkit(['report', '--as-of', AS_OF, '--lang', lang, '--html', files[lang]!], { db });
      if (result.code !== 0) throw new Error(result.stderr);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: FLAGS });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string): Promise<{ page: Page; errors: string[]; requests: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    const url = `file://${file}`;
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('requestfailed', (request) => errors.push(`failed: ${request.url()}`));
    // The network is blocked: any request but the page itself is recorded and aborted.
    await page.route('**/*', (route) => {
      if (route.request().url() === url) return route.continue();
      requests.push(route.request().url());
      return route.abort();
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, errors, requests };
  }

  it.each(['fr', 'en'])('%s: loads with nothing fetched, no error, every chart drawn, no text out of its card', async (lang) => {
    const { page, errors, requests } = await open(files[lang]!);
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);

    const charts = await page.$$eval('.card svg', (svgs) =>
      svgs.map((svg) => {
        const box = svg.getBoundingClientRect();
        const marks = svg.querySelectorAll('path, rect').length;
        const title = svg.closest('.card')?.querySelector('h2')?.textContent ?? '';
        return { title, width: box.width, height: box.height, marks, texts: svg.querySelectorAll('text').length };
      }),
    );
    // Segments, monthly, R x F, P(alive), categories, channels, cohorts, CLV, migration, file health.
    expect(charts.length).toBe(10);
    for (const chart of charts) {
      expect(chart.width, chart.title).toBeGreaterThan(200);
      expect(chart.height, chart.title).toBeGreaterThan(100);
      expect(chart.marks, chart.title).toBeGreaterThan(5);
      expect(chart.texts, chart.title).toBeGreaterThan(2);
    }

    // Every element with text, HTML or SVG, lies within its card; boxes that scroll do not overflow.
    const overflowing = await page.$$eval('.card, .kpi', (cards) =>
      cards.flatMap((card) => {
        const outer = card.getBoundingClientRect();
        const bad: string[] = [];
        for (const el of card.querySelectorAll('h2, p, th, td, dt, dd, div, text')) {
          if (!(el.textContent ?? '').trim()) continue;
          const box = el.getBoundingClientRect();
          if (box.left < outer.left - 1 || box.right > outer.right + 1 || box.top < outer.top - 1 || box.bottom > outer.bottom + 1) bad.push(`${el.textContent} (${card.querySelector('h2, .label')?.textContent})`);
          // HTML boxes that clip their content (overflow hidden, ellipsis) must not need to.
          const style = (globalThis as unknown as { getComputedStyle(e: unknown): { overflow: string } }).getComputedStyle(el);
          if (el.namespaceURI === 'http://www.w3.org/1999/xhtml' && el.scrollWidth > el.clientWidth + 1 && style.overflow !== 'visible') bad.push(`${el.textContent} (clipped)`);
        }
        return bad;
      }),
    );
    expect(overflowing).toEqual([]);

    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, `report-${lang}.png`), fullPage: true });
    await page.emulateMedia({ media: 'print' });
    await page.screenshot({ path: path.join(ARTIFACTS, `report-${lang}-print.png`), fullPage: true });
    await page.close();
  }, 60_000);
});
