/**
 * Console benchmark (issue 17): `npm run bench:console`. Writes a generated log of BENCH_CONSOLE_CUSTOMERS customers
 * (default 100,000; 10 events each, over four years, as bench/segments.bench.ts does), catches segment_facts and
 * churn_facts up, evaluates the segments and fits and scores the churn model, then serves the API and the console and
 * drives Debian's Chromium (headless, through playwright-core), BENCH_CONSOLE_RUNS times each (default 5, after one
 * warm-up): the first load of the console in a fresh browser context (no cache) until the sign-in form shows; the
 * segments page and the churn page opened with a session until their first rows show; the next page of members and
 * of the churn list; a new sort. Also the gzip size of what the console loads, and the API's answer times for those
 * reads alone.
 */
import 'reflect-metadata';
import { readdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { gzipSync } from 'node:zlib';
import { chromium, type Page } from 'playwright-core';
import { createApi } from '../apps/api/src/app';
import { createApiKey } from '../libs/auth/src';
import { loadConfig, openRuntime } from '../apps/engine/src';
import { fitAndRecord, scoreAndRecord } from '../projections/churn/churn-recording';
import { evaluateAndRecord } from '../projections/segments/segment-recording';
import { envNumber, fmt, log, machine, median } from './bench-support';
import { withBenchDatabase } from './bench-database';
import { DAY, iso, writeLog } from './segments-log';

const CUSTOMERS = envNumber('BENCH_CONSOLE_CUSTOMERS', 100_000);
const RUNS = envNumber('BENCH_CONSOLE_RUNS', 5);
const TARGET_FIRST_LOAD_MS = 1000;
const AT = Date.parse('2026-10-01T02:00:00Z');
const DIST = join(__dirname, '..', '..', 'apps', 'console', 'dist');

/** What the page loads: index.html and every asset, each gzipped as a server would. */
function bundleSizes(): { files: number; raw: number; gzip: number } {
  const files = [join(DIST, 'index.html'), ...readdirSync(join(DIST, 'assets')).map((name) => join(DIST, 'assets', name))];
  const contents = files.map((file) => readFileSync(file));
  return { files: files.length, raw: contents.reduce((sum, c) => sum + c.length, 0), gzip: contents.reduce((sum, c) => sum + gzipSync(c, { level: 6 }).length, 0) };
}

const spread = (values: number[]): string => `median ${fmt(median(values))} ms [${fmt(Math.min(...values))}-${fmt(Math.max(...values))}]`;

/** Runs `measure` once to warm up, then RUNS times; the milliseconds of each counted run. */
async function timed(label: string, measure: () => Promise<number>): Promise<number[]> {
  await measure();
  const runs: number[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await measure());
  log(`${label}: ${spread(runs)}`);
  return runs;
}

/** Waits until the table's first row is another than `before` (polled every 5 ms). */
async function changed(page: Page, table: string, before: string): Promise<void> {
  for (const deadline = Date.now() + 30_000; (await firstRow(page, table)) === before; ) {
    if (Date.now() > deadline) throw new Error(`${table}: the first row stayed ${before}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** The text of a table's first row, once it has one. */
const firstRow = async (page: Page, table: string): Promise<string> => (await page.getByRole('table', { name: table }).locator('tbody tr').first().textContent())!;

async function main(): Promise<void> {
  const bundle = bundleSizes();
  log(`console bundle: ${bundle.files} files, ${fmt(bundle.raw / 1024, 1)} KiB, ${fmt(bundle.gzip / 1024, 1)} KiB gzip`);
  await withBenchDatabase(async (database) => {
    log(`database: ${database.description}`);
    const runtime = await openRuntime(loadConfig({ DATABASE_URL: database.url }), log);
    for (const [key, value] of Object.entries(await machine(runtime.readModels))) log(`${key}: ${value}`);
    const written = await writeLog(runtime.store, { customers: CUSTOMERS, events: CUSTOMERS * 10, start: AT - 4 * 365 * DAY, end: AT });
    log(`log: ${fmt(written.events)} events for ${fmt(CUSTOMERS)} customers in ${written.seconds.toFixed(1)} s`);
    for (const name of ['segment_facts', 'churn_facts']) await runtime.projector.catchUp(name);
    const evaluation = await evaluateAndRecord(runtime.readModels, runtime.store, runtime.segments, { asOf: iso(AT), trigger: 'schedule' });
    log(`evaluated: ${fmt(evaluation.customers)} customers, ${fmt(evaluation.memberships)} memberships`);
    const settings = { churn: runtime.churn, currency: runtime.segments.currency };
    await fitAndRecord(runtime.readModels, runtime.store, settings, { cutoff: iso(AT), trigger: 'on-demand', actor: 'bench' });
    const scoring = await scoreAndRecord(runtime.readModels, runtime.store, settings, iso(AT));
    log(`scored: ${fmt(scoring.customers)} customers`);
    const largest = await runtime.readModels.query<{ segment: string; n: string }>('SELECT segment, count(*) AS n FROM read_models.segment_membership GROUP BY segment ORDER BY count(*) DESC LIMIT 1');
    const { segment, n } = largest.rows[0];
    log(`largest segment: ${segment}, ${fmt(Number(n))} members`);

    const app = await createApi(runtime, { logger: false });
    await app.listen(0, '127.0.0.1');
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const { key } = await createApiKey(runtime.readModels, 'bench-manager', 'manager');
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    try {
      const firstLoad = await timed('first load, fresh context, until the sign-in form shows', async () => {
        const context = await browser.newContext();
        const page = await context.newPage();
        const started = performance.now();
        await page.goto(`${base}/console/`);
        await page.getByLabel('API key or token').waitFor();
        const ms = performance.now() - started;
        await context.close();
        return ms;
      });
      // One session for the pages, signed in as a manager would.
      const context = await browser.newContext({ viewport: { width: 1400, height: 900 } });
      const page = await context.newPage();
      await page.goto(`${base}/console/`);
      await page.getByLabel('API key or token').fill(key);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Work queue' }).waitFor();
      const family = segment.split(':')[0];
      const membersTable = `Members of ${segment}`;
      const openSegments = async (): Promise<number> => {
        await page.goto(`${base}/console/#queue`);
        await page.getByRole('heading', { name: 'Work queue' }).waitFor();
        const started = performance.now();
        await page.goto(`${base}/console/#segments`);
        await page.getByRole('combobox', { name: /^Family/ }).selectOption(family);
        await page.getByRole('combobox', { name: /^Segment/ }).selectOption(segment);
        await page.getByRole('table', { name: membersTable }).locator('tbody tr').first().waitFor();
        return performance.now() - started;
      };
      const segmentsPage = await timed(`segments page with ${segment} (${fmt(Number(n))} members) until its first rows show`, openSegments);
      const nextMembers = await timed('members: the next page of 50', async () => {
        await openSegments();
        const before = await firstRow(page, membersTable);
        const started = performance.now();
        await page.getByRole('button', { name: 'Next' }).click();
        await changed(page, membersTable, before);
        return performance.now() - started;
      });
      const resort = await timed('members: sorted by member-since instead', async () => {
        await openSegments();
        const before = await firstRow(page, membersTable);
        const started = performance.now();
        await page.getByRole('combobox', { name: /^Sort by/ }).selectOption('since');
        await changed(page, membersTable, before);
        const ms = performance.now() - started;
        await page.getByRole('combobox', { name: /^Sort by/ }).selectOption('revenue');
        return ms;
      });
      const riskTable = 'Customers by churn risk, highest first';
      const openChurn = async (): Promise<number> => {
        await page.goto(`${base}/console/#queue`);
        await page.getByRole('heading', { name: 'Work queue' }).waitFor();
        const started = performance.now();
        await page.goto(`${base}/console/#churn`);
        await page.getByRole('table', { name: riskTable }).locator('tbody tr').first().waitFor();
        await page.getByRole('img', { name: /^Customers by CLV/ }).waitFor();
        return performance.now() - started;
      };
      const churnPage = await timed(`churn page (${fmt(scoring.customers)} scored) until the risk list and the CLV histogram show`, openChurn);
      const nextRisk = await timed('churn list: the next page of 50', async () => {
        await openChurn();
        const before = await firstRow(page, riskTable);
        const started = performance.now();
        await page.getByRole('button', { name: 'Next' }).click();
        await changed(page, riskTable, before);
        return performance.now() - started;
      });
      const api = async (path: string): Promise<number[]> =>
        timed(`API alone: GET ${path}`, async () => {
          const started = performance.now();
          const res = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${key}` } });
          await res.json();
          if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
          return performance.now() - started;
        });
      await api(`/segments/${encodeURIComponent(segment)}/members?sort=revenue&order=desc&limit=50`);
      await api(`/segments/sizes?family=${family}`);
      await api('/churn-risk?sort=risk&order=desc&limit=50');
      await api('/churn-risk/summary');

      log('');
      log(`| measure (${fmt(CUSTOMERS)} customers, ${RUNS} runs) | median | max |`);
      log('|---|---|---|');
      for (const [label, runs] of [
        ['first load (sign-in form)', firstLoad],
        ['segments page, first rows', segmentsPage],
        ['members, next page', nextMembers],
        ['members, new sort', resort],
        ['churn page, list and histogram', churnPage],
        ['churn list, next page', nextRisk],
      ] as const) {
        log(`| ${label} | ${fmt(median(runs))} ms | ${fmt(Math.max(...runs))} ms |`);
      }
      log(`first load: ${fmt(median(firstLoad))} ms median, target < ${TARGET_FIRST_LOAD_MS} ms: ${median(firstLoad) < TARGET_FIRST_LOAD_MS ? 'met' : 'NOT met'}`);
      log(`bundle: ${fmt(bundle.gzip / 1024, 1)} KiB gzip`);
    } finally {
      await browser.close();
      await app.close();
    }
  });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
