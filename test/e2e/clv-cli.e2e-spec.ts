import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

/**
 * Issue 5, acceptance 2: `npm run clv` as built (npm test builds dist/ first) on the CDNOW sample, exactly as the
 * issue documents it. No database: the CLI reads a file and writes a file.
 */
const CLI = resolve(__dirname, '../../dist/apps/projector/src/clv.cli.js');
const CDNOW = resolve(__dirname, '../fixtures/cdnow/CDNOW_sample.txt');
const CALIBRATION = ['--input', CDNOW, '--format', 'cdnow', '--observation-end', '1997-09-30', '--unit', 'week'];
const run = promisify(execFile);

const clv = (...args: string[]) =>
  run(process.execPath, [CLI, ...args], { maxBuffer: 16 << 20 }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => ({ code: error.code, stdout: error.stdout, stderr: error.stderr }),
  );

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'clv-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('npm run clv on the CDNOW sample', () => {
  it('fit --json prints one object with the published BG/NBD and Gamma-Gamma parameters', async () => {
    const { code, stdout } = await clv('fit', ...CALIBRATION, '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['model', 'params', 'logLikelihood', 'standardErrors', 'gammaGamma']));
    expect(result.model).toBe('bgnbd');
    const published = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };
    for (const [key, value] of Object.entries(published)) expect(Math.abs(result.params[key] - value)).toBeLessThan(0.01);
    expect(Math.abs(result.logLikelihood - -9582.4)).toBeLessThan(0.1);
    for (const key of Object.keys(published)) expect(result.standardErrors[key]).toBeGreaterThan(0);
    const gammaGamma = { p: 6.25, q: 3.74, v: 15.44 };
    for (const [key, value] of Object.entries(gammaGamma)) expect(Math.abs(result.gammaGamma[key] - value)).toBeLessThan(0.01);
    expect(result.converged).toBe(true);
  });

  it('fit prints parameters, log-likelihood, standard errors and convergence for MBG/NBD', async () => {
    const { code, stdout } = await clv('fit', ...CALIBRATION, '--model', 'mbgnbd');
    expect(code).toBe(0);
    expect(stdout).toContain('MBG/NBD on 2,357 customers (946 repeat buyers), unit week, transactions up to 1997-09-30');
    expect(stdout).toMatch(/^ {2}parameter {3}estimate {5}std\. error$/m);
    expect(stdout).toMatch(/^ {2}alpha +[\d.]+ +[\d.]+ {2}\(weeks\)$/m);
    expect(stdout).toMatch(/log-likelihood {2}-95\d\d\.\d+/);
    expect(stdout).toContain('converged: yes (bfgs,');
    expect(stdout).toContain('Gamma-Gamma value per purchase on 946 repeat buyers');
  });

  it('predict writes one sane row per customer', async () => {
    const output = join(dir, 'predictions.csv');
    const { code, stdout } = await clv('predict', ...CALIBRATION, '--horizon', '52', '--output', output);
    expect(code).toBe(0);
    expect(stdout).toContain('wrote 2,357 customers to');
    expect(stdout).toContain('margin 0.3, annual discount rate 0.1');
    const [header, ...rows] = readFileSync(output, 'utf8').trimEnd().split('\n');
    expect(header).toBe('customer_id,x,t_x,T,p_alive,expected_purchases,expected_value,clv');
    expect(rows).toHaveLength(2357);
    const parsed = rows.map((row) => row.split(','));
    expect(new Set(parsed.map((r) => r[0])).size).toBe(2357);
    for (const [, x, tx, T, alive, purchases, value, worth] of parsed.map((r) => [r[0], ...r.slice(1).map(Number)] as [string, ...number[]])) {
      expect(tx).toBeGreaterThanOrEqual(0);
      expect(T).toBeGreaterThanOrEqual(tx);
      // 0 is sane too: customer 1901 bought on 22 days in under 5 weeks, then not in the 24 weeks after.
      expect(alive).toBeGreaterThanOrEqual(0);
      expect(alive).toBeLessThanOrEqual(1);
      if (x === 0) expect(alive).toBe(1); // BG/NBD: no dropout before a repeat purchase
      expect(purchases).toBeGreaterThanOrEqual(0);
      expect(purchases).toBeLessThan(60);
      expect(value).toBeGreaterThan(0);
      // Discounted, with a 30% margin: below the undiscounted margin on the expected purchases.
      expect(worth).toBeGreaterThanOrEqual(0);
      expect(worth).toBeLessThanOrEqual(purchases * value * 0.3 + 1e-3);
    }
    const total = (column: number) => parsed.reduce((sum, r) => sum + Number(r[column]), 0);
    // About 0.6 repeat purchases per customer in the next year, as the holdout year's 1,882 in 39 weeks suggests.
    expect(total(5) / 2357).toBeGreaterThan(0.4);
    expect(total(5) / 2357).toBeLessThan(1.2);
    // Customer 1 is Hardie's worked example (x = 2, tx = 30.43, T = 38.86).
    expect(parsed[0].slice(0, 4)).toEqual(['1', '2', '30.428571', '38.857143']);
  });

  it('holdout prints the per-customer and total errors of both models', async () => {
    const { code, stdout } = await clv('holdout', '--input', CDNOW, '--format', 'cdnow', '--calibration-end', '1997-09-30', '--observation-end', '1998-06-30', '--unit', 'week');
    expect(code).toBe(0);
    expect(stdout).toContain('predicting 39 weeks to 1998-06-30');
    expect(stdout).toMatch(/^ {2}bgnbd +0\.78\d+ +1\.6\d+ +1653\.4 +1882 +-12\.1%$/m);
    expect(stdout).toMatch(/^ {2}mbgnbd +0\.76\d+ +1\.6\d+ +1576\.7 +1882 +-16\.2%$/m);
  });

  it('fit --model pareto-nbd --json prints the published Pareto/NBD parameters (issue 19)', async () => {
    const { code, stdout } = await clv('fit', ...CALIBRATION, '--model', 'pareto-nbd', '--json');
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.model).toBe('pareto-nbd');
    const published = { r: 0.5533, alpha: 10.5776, s: 0.6062, beta: 11.6679 };
    for (const [key, value] of Object.entries(published)) expect(Math.abs(result.params[key] - value)).toBeLessThan(0.01);
    expect(Math.abs(result.logLikelihood - -9594.97)).toBeLessThan(0.1);
  });

  it('compare prints the engine\'s model choice on the holdout: every model\'s errors and the one with the lowest MAE', async () => {
    const { code, stdout } = await clv('compare', '--input', CDNOW, '--format', 'cdnow', '--observation-end', '1998-06-30', '--unit', 'week', '--holdout-months', '9');
    expect(code).toBe(0);
    expect(stdout).toContain('fitted up to 1997-09-30T23:59:59.999Z on 2,357 customers');
    expect(stdout).toMatch(/^ {2}BG\/NBD +0\.7855 +1\.608 +1653\.4 +1882 +-9582\.43$/m);
    expect(stdout).toMatch(/^ {2}MBG\/NBD +0\.7648 +1\.6072 +1576\.7 +1882 +-9582\.14$/m);
    expect(stdout).toMatch(/^ {2}Pareto\/NBD +0\.7545 +1\.6028 +1665\.5 +1882 +-9594\.98 {2}<- chosen$/m);
    expect(stdout).toContain('chosen: Pareto/NBD (lowest mean absolute error on the holdout)');
  });

  it.each([
    [['fit', ...CALIBRATION, '--unit', 'fortnight'], '--unit must be day, week or month, got "fortnight"'],
    [['fit', '--input', CDNOW, '--format', 'xml', '--observation-end', '1997-09-30', '--unit', 'week'], '--format must be cdnow or csv, got "xml"'],
    [['fit', ...CALIBRATION, '--model', 'pareto'], '--model must be one of bgnbd, mbgnbd, pareto-nbd, got "pareto"'],
    [['compare', '--input', CDNOW, '--format', 'cdnow', '--observation-end', '1998-06-30', '--unit', 'week', '--holdout-months', '0'], '--holdout-months must be a whole number from 1 to 120, got "0"'],
    [['fit', '--input', CDNOW, '--format', 'cdnow', '--observation-end', '30/09/1997', '--unit', 'week'], '--observation-end must be a date such as 1997-09-30, got "30/09/1997"'],
    [['predict', ...CALIBRATION, '--horizon', '52'], 'missing --output'],
    [['predict', ...CALIBRATION, '--horizon', '0', '--output', 'x.csv'], '--horizon must be a whole number of weeks from 1, got "0"'],
    [['predict', ...CALIBRATION, '--horizon', '52', '--output', 'x.csv', '--margin', '30'], '--margin must be a share from 0 to 1'],
    [['fit', ...CALIBRATION, '--horizon', '52'], 'fit takes no option --horizon'],
    [['forecast'], 'unknown command "forecast"'],
  ])('refuses bad arguments with exit 2, the reason and the usage: %j', async (args, message) => {
    const { code, stderr } = await clv(...args);
    expect(code).toBe(2);
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage: npm run clv --');
  });

  it('names the file and line of bad input, and says why data cannot be fitted (exit 1)', async () => {
    const bad = join(dir, 'bad.csv');
    writeFileSync(bad, 'customer_id,date,amount\nc1,2024-01-01,10\nc1,yesterday,5\n');
    const unreadable = await clv('fit', '--input', bad, '--format', 'csv', '--observation-end', '2024-06-30', '--unit', 'month');
    expect(unreadable.code).toBe(2);
    expect(unreadable.stderr).toContain('line 3: date must be an ISO 8601 date or instant');

    const oneTimers = join(dir, 'one-timers.csv');
    writeFileSync(oneTimers, ['customer_id,date,amount', ...Array.from({ length: 50 }, (_, i) => `c${i},2024-01-${String(1 + (i % 28)).padStart(2, '0')},10`)].join('\n'));
    const refused = await clv('fit', '--input', oneTimers, '--format', 'csv', '--observation-end', '2024-06-30', '--unit', 'month');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('cannot fit: no repeat buyer: 0 of 50 customers purchased more than once');
  });
});
