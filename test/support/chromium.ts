/**
 * @module test/support/chromium
 * Debian's Chromium (/usr/bin/chromium, which .ci/run installs when absent) launched headless
 * through playwright-core for the browser tests, with the flags that keep it from calling out of
 * this closed network (machines/node-svc.md). A missing browser fails the test, never skips it.
 */
import { existsSync } from 'node:fs';

import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

export async function launchChromium(what: string): Promise<Browser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `${CHROMIUM} is missing: ${what} needs Debian's chromium package ` +
        '(apt-get install -y chromium; .ci/run installs it when absent)',
    );
  }
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
