import { readFileSync } from 'node:fs';
import { chromium, type Browser, type Page, type Request, type Response } from 'playwright-core';

/** Debian's Chromium, headless, as .ci/run installs it (a browser download by npm cannot work here). */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });

/** axe-core's serious and critical findings on the page as it is now (WCAG 2 A and AA rules). */
export async function accessibilityProblems(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol: the console's CSP (script-src 'self') rightly refuses an injected script tag.
  await page.evaluate(readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8'));
  const found = (await page.evaluate(`axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] })`)) as {
    violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  };
  return found.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
}

/**
 * Signs in on the console at `base` with `key`, and waits for the first page. A failure says what the page showed and
 * which requests failed (a CI run once found no sign-in form for 30 s, and said nothing more).
 */
export async function signedIn(page: Page, base: string, key: string): Promise<void> {
  const failed: string[] = [];
  const onResponse = (response: Response): void => void (response.status() >= 400 && failed.push(`${response.status()} ${response.request().method()} ${response.url()}`));
  const onFailed = (request: Request): void => void failed.push(`no answer to ${request.method()} ${request.url()}: ${request.failure()?.errorText}`);
  page.on('response', onResponse);
  page.on('requestfailed', onFailed);
  try {
    await page.goto(`${base}/console/`);
    await page.getByLabel('API key or token').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Work queue' }).waitFor();
  } catch (error) {
    const shown = await page.locator('body').innerText({ timeout: 2_000 }).catch((reading: Error) => `(not read: ${reading.message})`);
    throw new Error(`signing in failed: ${error instanceof Error ? error.message : String(error)}\nthe page showed: ${shown}\nanswers 4xx/5xx and failed requests: ${failed.join('; ') || 'none'}`, { cause: error });
  } finally {
    page.off('response', onResponse);
    page.off('requestfailed', onFailed);
  }
}
