import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { TestingError } from './errors';

/** Debian's headless Chromium first (scripts/ensure-system-deps.sh installs it), then the full one. */
const CANDIDATES = ['/usr/bin/chromium-headless-shell', '/usr/bin/chromium'];

/** Headless, no sandbox (containers), nothing that reaches the network or writes outside the profile. */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
] as const;

/** The browser binary: MARKET_DATA_CHROMIUM, else the first installed candidate; TestingError BINARY_MISSING otherwise. */
export function chromiumPath(): string {
  const configured = process.env.MARKET_DATA_CHROMIUM;
  const found = configured !== undefined && configured !== '' ? configured : CANDIDATES.find((c) => existsSync(c));
  if (found === undefined || !existsSync(found)) {
    throw new TestingError('BINARY_MISSING', `no Chromium at ${configured ?? CANDIDATES.join(' or ')}: run scripts/ensure-system-deps.sh (installs chromium-headless-shell) or set MARKET_DATA_CHROMIUM`);
  }
  return found;
}

export interface LaunchedChromium {
  readonly context: BrowserContext;
  /** Closes the browser and removes its profile. */
  close(): Promise<void>;
}

/** A real headless Chromium driven by playwright-core, on a fresh profile in a temp dir. */
export async function launchChromium(options: { viewport?: { width: number; height: number } } = {}): Promise<LaunchedChromium> {
  const executablePath = chromiumPath();
  // Loaded here, not at import: most users of this package never start a browser (and jest
  // cannot run a dynamic import() without --experimental-vm-modules).
  const { chromium } = createRequire(__filename)('playwright-core') as typeof import('playwright-core');
  const profile = mkdtempSync(path.join(tmpdir(), 'chromium-profile-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath,
      headless: true,
      args: [...CHROMIUM_FLAGS],
      viewport: options.viewport ?? { width: 1400, height: 800 },
    });
    return {
      context,
      close: async () => {
        try {
          await context.close();
        } finally {
          rmSync(profile, { recursive: true, force: true });
        }
      },
    };
  } catch (err) {
    rmSync(profile, { recursive: true, force: true });
    throw err;
  }
}
