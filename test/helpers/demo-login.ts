/**
 * The demo provider's login as a person does it: follow the URL condor_submit printed, click "Log in to ..." for each
 * provider the sandbox page lists, sign in as demo/demo when asked, allow, and come back to the sandbox.
 */
import assert from 'node:assert/strict';
import type { Browser } from 'playwright-core';

/** The login URL condor_submit printed (HTCondor's "Please visit: ..." line). */
export function loginUrlFrom(output: string, sandboxUrl: string): string {
  const match = /Please visit: (https:\/\/\S+\/key\/[0-9a-f]{64})/.exec(output);
  assert.ok(match?.[1], `condor_submit printed no login URL:\n${output}`);
  assert.ok(match[1].startsWith(sandboxUrl), `the URL points at the sandbox: ${match[1]}`);
  return match[1];
}

/**
 * Logs in to every provider the sandbox page lists (asserting first that it lists each of `expectedProviders`);
 * returns the final page's text ("All done ... run the same condor_submit command again").
 */
export async function logInWithDemoProvider(
  browser: Browser,
  url: string,
  sandboxUrl: string,
  demoUrl: string,
  expectedProviders: readonly string[] = [],
): Promise<string> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    const text = await page.locator('main').innerText();
    for (const p of expectedProviders) assert.match(text, new RegExp(p), `the login page lists ${p}`);
    for (let i = 0; i < 10; i++) {
      const link = page.getByRole('link', { name: /^Log in to / }).first();
      if ((await link.count()) === 0) break;
      await link.click();
      assert.ok(page.url().startsWith(demoUrl), `the browser went to the demo provider: ${page.url()}`);
      if ((await page.getByLabel('Password').count()) > 0) {
        await page.getByLabel('User name').fill('demo');
        await page.getByLabel('Password').fill('demo');
        await page.getByRole('button', { name: 'Sign in' }).click();
      }
      await page.getByRole('button', { name: 'Allow' }).click();
      await page.waitForURL((u) => u.toString().startsWith(sandboxUrl));
    }
    const done = await page.locator('main').innerText();
    assert.match(done, /All done/, done);
    assert.match(done, /run the same condor_submit command again/);
    return done;
  } finally {
    await page.close();
  }
}
