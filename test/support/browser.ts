import { accessSync, constants } from 'node:fs';
import { chromium } from 'playwright-core';
import type { Browser } from 'playwright-core';

/*
 * Debian's Chromium for the end-to-end browser suites (the portal's, the inspector's), driven by
 * playwright-core, which never downloads a browser of its own; scripts/browser-lab installs it.
 * Without Chromium a suite is skipped with one line, except under CI=true, where a missing browser
 * fails it.
 */

export const CHROMIUM = process.env.SSCARD_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Why the browser cannot run here, or undefined when it can. */
export function chromiumMissing(): string | undefined {
  try {
    accessSync(CHROMIUM, constants.X_OK);
    return undefined;
  } catch {
    return `${CHROMIUM} is not installed`;
  }
}

/**
 * Whether a browser suite runs: with Chromium, or under CI=true (where a missing browser must fail
 * the suite rather than skip it). Prints the one line of a skipped suite.
 */
export function browserSuiteRuns(suite: string): boolean {
  const missing = chromiumMissing();
  const ci = process.env.CI === 'true';
  if (missing !== undefined && !ci)
    console.log(`${suite} browser suite skipped: ${missing}; enable with: scripts/browser-lab up`);
  return missing === undefined || ci;
}

/** Launches headless Chromium; a missing browser fails with what to run. */
export async function launchChromium(): Promise<Browser> {
  const missing = chromiumMissing();
  if (missing !== undefined) throw new Error(`${missing}: run scripts/browser-lab up (CI=true needs the browser)`);
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, timeout: 120_000 });
}
