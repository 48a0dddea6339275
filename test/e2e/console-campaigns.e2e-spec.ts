/*
 * Issue 18 in the console: a campaign's arms and uplift as a manager and an analyst see them, and a manager pausing
 * and ending it, in Debian's Chromium against the real engine on a real database. The screenshot goes to docs/console/.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { accessibilityProblems, launchChromium, signedIn as signedInAt } from '../support/console-browser';
import { startTestApp, type TestApp } from '../support/test-app';
import { registration, trip } from './customer-api.fixtures';

const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'console');
const DAY = 86_400_000;
const at = (days: number): string => new Date(Date.now() + days * DAY).toISOString();
const CUSTOMERS = Array.from({ length: 40 }, (_, i) => `cc-${String(i).padStart(2, '0')}`);

let t: TestApp;
let browser: Browser;
let base: string;
/** Customers per arm, and how many of each booked again after the launch. */
const arms = { treatment: [] as string[], control: [] as string[] };
const converted = { treatment: 0, control: 0 };

async function projected(): Promise<void> {
  const { rows } = await t.runtime.readModels.query<{ last: string }>('SELECT max(global_position) AS last FROM event_store.events');
  expect(await t.runtime.projector.waitFor(Number(rows[0].last), 60_000)).toBe(true);
}

beforeAll(async () => {
  t = await startTestApp();
  await t.app.listen(0, '127.0.0.1');
  base = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
  for (const id of CUSTOMERS) {
    await t.http().post('/customers').send(registration(id, { marketingConsent: true, occurredAt: at(-400) })).expect(201);
    await t.http().post(`/customers/${id}/bookings`).send(trip('b1', { productType: 'flight', occurredAt: at(-200), departureDate: at(-150).slice(0, 10), returnDate: at(-143).slice(0, 10) })).expect(201);
  }
  await projected();
  await t
    .http('manager')
    .post('/campaigns')
    .send({
      campaignId: 'spring-flights',
      name: 'Spring flights',
      audience: { trips: { productTypes: ['flight'], withinMonths: 24 }, requireMarketingConsent: true },
      channel: 'email',
      contentHints: ['Lisbon from 39 EUR'],
      sendWindow: { from: at(-1), until: at(7) },
      holdoutShare: 0.5,
      goal: { kind: 'booking' },
      conversionWindowDays: 30,
    })
    .expect(201);
  await t.http('manager').post('/campaigns/spring-flights/launch').expect(200);
  await projected();
  const { rows } = await t.runtime.readModels.query<{ customer_id: string; arm: 'treatment' | 'control' }>(
    "SELECT customer_id, arm FROM read_models.campaign_assignments WHERE campaign_id = 'spring-flights' ORDER BY customer_id",
  );
  for (const row of rows) arms[row.arm].push(row.customer_id);
  // Two of three treated customers book again, one of four controls: the page must show those counts.
  for (const arm of ['treatment', 'control'] as const) {
    for (const [i, id] of arms[arm].entries()) {
      if (arm === 'treatment' ? i % 3 === 2 : i % 4 !== 0) continue;
      await t.http().post(`/customers/${id}/bookings`).send(trip('b2', { productType: 'flight', occurredAt: new Date().toISOString(), departureDate: at(60).slice(0, 10), returnDate: at(67).slice(0, 10) })).expect(201);
      converted[arm]++;
    }
  }
  await projected();
  browser = await launchChromium();
  mkdirSync(SCREENSHOTS, { recursive: true });
}, 180_000);
afterAll(async () => {
  await browser?.close();
  await t.close();
});

const signedIn = (page: Page, key: string) => signedInAt(page, base, key);

async function openCampaign(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Campaigns' }).click();
  await page.getByRole('heading', { name: 'Campaigns', level: 1 }).waitFor();
  await page.getByRole('button', { name: 'Spring flights' }).click();
  await page.getByRole('heading', { name: 'Spring flights' }).waitFor();
  await page.getByRole('row', { name: /^Treatment/ }).waitFor();
}

const percent = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)} %`;

describe('campaigns in the console', () => {
  it('a manager sees each arm and the uplift in words, pauses, resumes and ends the campaign', async () => {
    expect(arms.treatment.length).toBeGreaterThan(5);
    expect(arms.control.length).toBeGreaterThan(5);
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signedIn(page, t.keys.manager);
    await openCampaign(page);
    const treatment = page.getByRole('row', { name: /^Treatment/ });
    const control = page.getByRole('row', { name: /^Control/ });
    const cells = async (row: typeof treatment) => (await row.locator('td').allTextContents()).slice(0, 3);
    expect(await cells(treatment)).toEqual([String(arms.treatment.length), String(converted.treatment), percent(converted.treatment, arms.treatment.length)]);
    expect(await cells(control)).toEqual([String(arms.control.length), String(converted.control), percent(converted.control, arms.control.length)]);
    const verdict = page.getByRole('status').filter({ hasText: 'Treated customers converted at' });
    await expect(verdict.textContent()).resolves.toContain(
      `converted at ${percent(converted.treatment, arms.treatment.length)}, the control group at ${percent(converted.control, arms.control.length)}`,
    );
    await expect(verdict.textContent()).resolves.toMatch(/95 % interval [+−]\d+\.\d points to [+−]\d+\.\d points/);
    await page.screenshot({ path: join(SCREENSHOTS, 'campaigns.png'), fullPage: true });
    expect(await accessibilityProblems(page)).toEqual([]);

    // The sender's export: the same rows the API streams to a manager, every one a treated customer's send.
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Export sends (CSV)' }).click()]);
    expect(download.suggestedFilename()).toBe('spring-flights-sends.csv');
    const lines = readFileSync((await download.path())!, 'utf8').trim().split('\n');
    const api = (await t.http('manager').get('/campaigns/spring-flights/export').set('Accept', 'text/csv').expect(200)).text.trim().split('\n');
    expect(lines).toEqual(api);
    expect(lines.length).toBeGreaterThan(1);
    const customerColumn = lines[0].split(',').indexOf('customer_id');
    expect(lines.slice(1).every((line) => arms.treatment.includes(line.split(',')[customerColumn]))).toBe(true);

    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    expect((await t.http('analyst').get('/campaigns/spring-flights').expect(200)).body.status).toBe('paused');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    await page.getByRole('button', { name: 'End', exact: true }).click();
    await page.getByRole('row', { name: /Spring flights ended/ }).waitFor();
    expect(await page.getByRole('button', { name: /^(Pause|Resume|End|Launch)$/ }).count()).toBe(0);
    expect((await t.http('analyst').get('/campaigns/spring-flights').expect(200)).body.status).toBe('ended');
    await page.close();
  });

  it('an analyst reads the results but is offered no step and no export; an agent is told the page is not theirs', async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await signedIn(page, t.keys.analyst);
    await openCampaign(page);
    await page.getByRole('status').filter({ hasText: 'Treated customers converted at' }).waitFor();
    expect(await page.getByRole('button', { name: /^(Pause|Resume|End|Launch|Export sends \(CSV\))$/ }).count()).toBe(0);
    await page.close();

    const agent = await browser.newPage();
    await signedIn(agent, t.keys.agent);
    expect(await agent.getByRole('navigation', { name: 'Pages' }).getByRole('link', { name: 'Campaigns' }).count()).toBe(0);
    await agent.goto(`${base}/console/#campaigns`);
    await agent.getByRole('alert').filter({ hasText: 'The campaigns page is for managers, analysts, auditors and admins' }).waitFor();
    await agent.close();
  });
});
