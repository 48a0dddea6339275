import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '../support/test-database';

/**
 * Issue 4, acceptance 2: the CDNOW sample imported with `npm run import -- --format cdnow`, evaluated with
 * `npm run segments -- evaluate --as-of 1998-07-01` (both as built: npm test builds dist/ first), and the customers
 * per R, F and M score and per ABC class it prints checked against a computation written here from the file alone.
 * The config's base currency is USD, the file's currency, so no conversion rounding stands between the two.
 */
const DIST = resolve(__dirname, '../../dist/apps');
const CDNOW = resolve(__dirname, '../fixtures/cdnow/CDNOW_sample.txt');
const AS_OF = Date.parse('1998-07-01T00:00:00Z');
const DAY = 86_400_000;
const run = promisify(execFile);

let database: TestDatabase;
let dir: string;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  database = await createTestDatabase();
  dir = mkdtempSync(join(tmpdir(), 'segments-cdnow-'));
  const config = join(dir, 'segments.json');
  writeFileSync(config, JSON.stringify({ version: 'cdnow-usd', currency: { base: 'USD', rates: { USD: 1 } } }));
  env = { ...process.env, DATABASE_URL: database.url, SEGMENTS_CONFIG: config };
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await database.drop();
});

const cli = (script: string, ...args: string[]) => run(process.execPath, [join(DIST, script), ...args], { env, maxBuffer: 16 << 20 });

interface Customer {
  id: string;
  days: Set<string>;
  cents: number;
  /** Cents spent after 1997-07-01 (the 12 months before the instant). */
  windowCents: number;
  last: number;
}

/** Per customer from the file: purchase days, total spent, spent in the ABC window, last purchase day. */
function customersOfFile(): Customer[] {
  const customers = new Map<string, Customer>();
  for (const line of readFileSync(CDNOW, 'utf8').split('\n')) {
    const columns = line.trim().split(/\s+/);
    if (columns.length !== 5) continue;
    const [id, , date, , dollars] = columns;
    const day = Date.parse(`${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T00:00:00Z`);
    const cents = Math.round(Number(dollars) * 100);
    const customer = customers.get(String(Number(id))) ?? { id: `cdnow-${Number(id)}`, days: new Set(), cents: 0, windowCents: 0, last: 0 };
    customers.set(String(Number(id)), customer);
    customer.days.add(date);
    customer.cents += cents;
    if (day >= Date.parse('1997-07-01T00:00:00Z')) customer.windowCents += cents;
    customer.last = Math.max(customer.last, day);
  }
  return [...customers.values()];
}

/**
 * Sort and cut: values in ascending order are cut into fifths at n/5, 2n/5, 3n/5 and 4n/5; a run of equal values
 * goes to the fifth in which the run starts, so equal values share a score.
 */
function quintileCounts(values: number[]): Record<string, number> {
  const sorted = [...values].sort((a, b) => a - b);
  const cuts = [1, 2, 3, 4].map((k) => (k * sorted.length) / 5);
  const counts: Record<string, number> = {};
  for (let start = 0; start < sorted.length; ) {
    let end = start;
    while (end < sorted.length && sorted[end] === sorted[start]) end++;
    const score = 1 + cuts.filter((cut) => cut <= start).length;
    counts[score] = (counts[score] ?? 0) + (end - start);
    start = end;
  }
  return counts;
}

/** Largest revenue first (equal revenue: id ascending); a customer's class is where its share starts. */
function abcCounts(customers: Customer[]): Record<string, number> {
  const ranked = customers.filter((c) => c.windowCents > 0).sort((x, y) => y.windowCents - x.windowCents || (x.id < y.id ? -1 : 1));
  const total = ranked.reduce((sum, c) => sum + c.windowCents, 0);
  const counts: Record<string, number> = {};
  let before = 0;
  for (const customer of ranked) {
    const share = before / total;
    const cls = share < 0.8 ? 'A' : share < 0.95 ? 'B' : 'C';
    counts[cls] = (counts[cls] ?? 0) + 1;
    before += customer.windowCents;
  }
  return counts;
}

/** `  R 1=471 2=...` from the report into { 1: 471, ... }. */
const printed = (stdout: string, label: string): Record<string, number> => {
  const line = stdout.split('\n').find((l) => l.trim().startsWith(`${label} `));
  if (!line) throw new Error(`no "${label}" line in:\n${stdout}`);
  return Object.fromEntries(line.trim().split(/\s+/).slice(1).map((pair) => [pair.split('=')[0], Number(pair.split('=')[1])]));
};

describe('npm run segments -- evaluate on the CDNOW sample as of 1998-07-01', () => {
  it('prints the customers per R, F and M score and per ABC class that sorting and cutting the file gives', async () => {
    await cli('api/src/imports/import.cli.js', '--format', 'cdnow', CDNOW);
    const { stdout } = await cli('projector/src/segments.cli.js', 'evaluate', '--as-of', '1998-07-01');

    const customers = customersOfFile();
    expect(customers).toHaveLength(2357);
    const expected = {
      // Recency reversed: the fewest days since the last purchase score 5.
      R: quintileCounts(customers.map((c) => -Math.floor((AS_OF - c.last) / DAY))),
      F: quintileCounts(customers.map((c) => c.days.size)),
      M: quintileCounts(customers.map((c) => c.cents)),
      ABC: abcCounts(customers),
    };
    expect(stdout).toContain('as of 1998-07-01T00:00:00.000Z, config cdnow-usd');
    expect(stdout).toMatch(/customers 2357, /);
    for (const label of ['R', 'F', 'M', 'ABC'] as const) expect({ label, counts: printed(stdout, label) }).toEqual({ label, counts: expected[label] });
    // Not a degenerate case: every R score and ABC class is populated, and the many one-purchase customers score F 1.
    expect(Object.keys(expected.R)).toEqual(['1', '2', '3', '4', '5']);
    expect(expected.F['1']).toBeGreaterThan(customers.length * 0.4);
    expect(Object.keys(expected.ABC).sort()).toEqual(['A', 'B', 'C']);
  }, 120_000);

  it('refuses a bad instant with the usage, before touching the database', async () => {
    const failure = (await cli('projector/src/segments.cli.js', 'evaluate', '--as-of', 'yesterday').catch((error: unknown) => error)) as { code: number; stderr: string };
    expect(failure.code).toBe(2);
    expect(failure.stderr).toContain('--as-of must be an ISO 8601 date or instant');
    expect(failure.stderr).toContain('usage: npm run segments');
  });
});
