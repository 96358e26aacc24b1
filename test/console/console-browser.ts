// Debian's Chromium driven by playwright-core (no browser download works here), axe-core injected
// into the page, and screenshots under test-output/console/. Shared by the console's browser tests
// and its bench.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];
export const SCREENSHOT_DIR = resolve(import.meta.dirname, '../../test-output/console');

/** The system Chromium, or null (the tests then skip with this reason). */
export function chromiumPath(): string | null {
  const configured = process.env.CHROMIUM_PATH;
  if (configured && existsSync(configured)) return configured;
  for (const path of CANDIDATES) if (existsSync(path)) return path;
  try {
    return execFileSync('which', ['chromium'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error('no Chromium: apt-get install -y chromium (or set CHROMIUM_PATH)');
  // --no-sandbox: CI runs as root, where Chromium's sandbox refuses to start.
  return chromium.launch({ executablePath, args: ['--no-sandbox', '--disable-dev-shm-usage', ...extraArgs] });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** The few page globals that functions run in the page read, typed here: this program's lib has
 * no DOM (it is Node code), and such functions are serialized into the page, so only types cross. */
export interface PageGlobals {
  document: {
    readyState: string;
    documentElement: { scrollWidth: number; clientWidth: number };
    querySelector(selector: string): { textContent: string | null } | null;
  };
  sessionStorage: { setItem(key: string, value: string): void };
  axe: { run(context: unknown, options: object): Promise<{ violations: AxeViolation[] }> };
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations on the page as it is now. Evaluated through the
 * devtools protocol, which the console's CSP (no inline script) does not block. */
export async function seriousAxeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const { axe, document } = globalThis as unknown as PageGlobals;
    const result = await axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}
