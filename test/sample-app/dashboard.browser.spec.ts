import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import request from 'supertest';
import { startSampleAppWithTelemetry, type RunningSampleApp } from './sample-app-with-telemetry.js';

/** Screenshots land here (git-ignored), for a person to look at after the run. */
const ARTIFACTS = resolve(dirname(fileURLToPath(import.meta.url)), '../../.tmp/artifacts');

/** Debian's chromium package (`.ci/run` installs it); CHROMIUM_PATH overrides. */
function chromiumPath(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  return execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'])
    .toString()
    .trim();
}

/** Text of the first element matching `selector` once `accept` holds for it (polls the page). */
async function textOnceItShows(
  page: Page,
  selector: string,
  accept: (text: string) => boolean,
  what: string,
): Promise<string> {
  const deadline = Date.now() + 15_000;
  let last = '';
  while (Date.now() < deadline) {
    last =
      (await page
        .locator(selector)
        .first()
        .textContent({ timeout: 1_000 })
        .catch(() => '')) ?? '';
    if (accept(last)) return last;
    await page.waitForTimeout(200);
  }
  throw new Error(
    `The dashboard never showed ${what}; last text of ${selector}: ${JSON.stringify(last)}`,
  );
}

describe('the dashboard in a real browser (headless Chromium)', () => {
  let running: RunningSampleApp;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    running = await startSampleAppWithTelemetry({ DASHBOARD_SAMPLE_MS: '500' });
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      // CI runs as root, where Chromium refuses its sandbox.
      args: ['--no-sandbox', '--disable-dev-shm-usage'],
    });
    // Laid out at 1400 px, where the page fits one screen, and rendered at half of that, so the
    // screenshot docs/images/dashboard.jpg is copied from stays about 15 KB.
    page = await browser.newPage({
      viewport: { width: 1400, height: 900 },
      deviceScaleFactor: 0.5,
    });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await running?.stop();
  });

  it('shows a batch created and advanced through the API, and the hit ratio /stats reports', async () => {
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${running.url}/dashboard`);
    await textOnceItShows(
      page,
      '#batches',
      (text) => text.includes('No batch yet'),
      'the empty state',
    );

    const http = request(running.app.getHttpServer());
    const { body: batch } = await http.post('/batches').send({ name: 'browser crawl', total: 40 });
    const row = `[data-batch-id="${batch.id}"]`;
    await textOnceItShows(page, `${row} .figures`, (t) => t.startsWith('0 / 40'), 'the new batch');
    await http.post(`/batches/${batch.id}/items`).send({ status: 'processed', count: 12 });
    await http.post(`/batches/${batch.id}/items`).send({ status: 'failed', count: 3 });
    for (let i = 0; i < 4; i++) {
      await http.get('/frontier/next').query({ domain: 'browser.example', limit: 3 });
    }

    const progress = await textOnceItShows(
      page,
      `${row} .figures`,
      (text) => text.includes('15 / 40'),
      'the batch progress',
    );
    expect(progress).toBe('15 / 40 · 37.5% · 3 failed');
    expect(await page.locator(`${row} .name`).textContent()).toBe('browser crawl');
    const processedWidth = await page
      .locator(`${row} .bar .ok`)
      .evaluate((bar) => (bar as unknown as { style: { width: string } }).style.width);
    expect(processedWidth).toBe('30%');

    const { body: stats } = await http.get('/stats');
    const counters = stats.cached.methods['FrontierProvider.nextUrls'];
    expect(counters).toMatchObject({ hits: 3, misses: 1 });
    const expected = `${((counters.hits / (counters.hits + counters.misses + counters.coalesced)) * 100).toFixed(1)}%`;
    const ratio = await textOnceItShows(
      page,
      '[data-method="FrontierProvider.nextUrls"] .ratio',
      (text) => text === expected,
      `the hit ratio ${expected}`,
    );
    expect(ratio).toBe('75.0%');

    // The charts come from the OpenTelemetry metrics: a sample with operations shows up.
    await textOnceItShows(page, '#tile-keys', (text) => /^\d+$/.test(text), 'the key count');
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = await page.screenshot({
      path: join(ARTIFACTS, 'dashboard.jpg'),
      fullPage: true,
      type: 'jpeg',
      quality: 50,
    });
    expect(shot.length).toBeLessThan(24 * 1024);
    expect(pageErrors).toEqual([]);
  }, 60_000);

  it('loads uPlot from the app itself, not from a CDN', async () => {
    const external: string[] = [];
    page.on('request', (req) => {
      if (!req.url().startsWith(running.url) && !req.url().startsWith('data:'))
        external.push(req.url());
    });
    await page.goto(`${running.url}/dashboard`);
    await page.waitForFunction(
      () => typeof (globalThis as { uPlot?: unknown }).uPlot === 'function',
    );
    expect(await page.locator('.uplot').count()).toBe(3);
    expect(external).toEqual([]);
  }, 30_000);
});
