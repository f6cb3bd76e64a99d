import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { launchChromium } from './chromium';

export { launchChromium };

/**
 * What the e2e files share: where the built demo and the screenshots live, and a real Chromium
 * launched the way these machines have it (the Debian package, never a downloaded browser).
 */

/** The built demo (`npm run build:demo`), served as the servers' static folder. */
export const DEMO_DIST = fileURLToPath(new URL('../../client-demo/dist', import.meta.url));
/** Where e2e tests save their screenshots (git-ignored). */
export const SCREENS = fileURLToPath(new URL('../e2e/screens', import.meta.url));

/** Throw, saying what to run, when the demo has not been built. */
export function assertDemoBuilt(): void {
  if (!existsSync(`${DEMO_DIST}/index.html`))
    throw new Error(`the demo is not built (${DEMO_DIST} has no index.html): run npm run build:demo`);
}

/** A fresh browser context (as a new person would have) with the demo's desktop viewport, 1280 × 820. */
export function playerContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 1280, height: 820 } });
}
