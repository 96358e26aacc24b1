// The Research view in a real browser against a real node whose member is both a HOSPITAL (it
// commits its records and proves answers) and a RESEARCHER (it posts queries), on its own chain,
// with synthea-10 patients and conditions imported (synthetic patients when ../shared/data is
// absent). Criteria are checked as they are typed by the node's own validator built for the
// browser; a submitted query is followed live until the hospital's Groth16-proven answer arrives,
// verified on chain and offline, with the released count; an answered query is followed by id.
// axe-core finds no serious or critical violation; screenshots at laptop and phone widths.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Wallet } from 'ethers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importNdjson } from '../../gateway/cli/ndjson-import.js';
import { loadConfig } from '../../gateway/config.js';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import { loadNodeKeys } from '../../gateway/keys/node-keys.js';
import type { Hex } from '../../gateway/ledger/ports.js';
import { type RunningNode, startNode } from '../../gateway/node.js';
import { deployConsortium } from '../../network/deploy.js';
import { type EmbeddedChain, startEmbeddedChain } from '../../network/embedded-chain.js';
import { devToken } from '../support/consent-pair.js';
import { postBatch, waitForAnchoring } from '../support/fhir-client.js';
import { SYNTHEA } from './console-node.js';
import { chromiumPath, launchChromium, type PageGlobals, screenshot, seriousAxeViolations } from './console-browser.js';

const horizontalOverflow = (): number => {
  const { document } = globalThis as unknown as PageGlobals;
  return document.documentElement.scrollWidth - document.documentElement.clientWidth;
};

const ORG = 'console-research-hospital';
const CRITERIA = [{ field: 'sex', op: 'in', values: ['female', 'male'] }];

const browserPath = chromiumPath();
if (!browserPath) console.warn('console research view tests: skipped, no Chromium (apt-get install -y chromium; .ci/run installs it)');

describe.skipIf(!browserPath)('Research view in Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'careledger-console-research-'));
  let chain: EmbeddedChain;
  let node: RunningNode;
  let browser: Browser;
  let page: Page;
  let patients = 0;
  let queryId = '';

  beforeAll(async () => {
    chain = await startEmbeddedChain({ dataDir: join(dir, 'chain') });
    const keys = loadNodeKeys({ dataDir: join(dir, 'node'), allowGenerate: true });
    const deployed = await deployConsortium({
      rpcUrl: chain.rpcUrl,
      chainId: chain.chainId,
      deployerKey: chain.accounts[0]!.privateKey,
      members: [
        { orgId: ORG, roles: ['HOSPITAL', 'RESEARCHER'], signer: keys.memberWallet.address as Hex },
        // A second hospital that never answers: the view shows it as not answered yet.
        { orgId: 'console-quiet-hospital', roles: ['HOSPITAL'], signer: new Wallet(Wallet.createRandom().privateKey).address as Hex },
      ],
      minCellSizeFloor: 2,
      dataDir: join(dir, 'chain'),
    });
    const [, started] = await Promise.all([
      ensureConsoleBundle(),
      startNode(
        loadConfig({
          PORT: '0',
          DATA_DIR: join(dir, 'node'),
          CARELEDGER_MODE: 'dev',
          CARELEDGER_ORG_ID: ORG,
          LOG_LEVEL: 'warn',
          BATCH_MAX_AGE_MS: '200',
          CHAIN_RPC_URL: chain.rpcUrl,
          CHAIN_ID: String(chain.chainId),
          CHAIN_CONTRACTS: JSON.stringify(deployed.contracts),
        }),
      ),
    ]);
    node = started;
    const token = devToken(node);
    if (existsSync(join(SYNTHEA, 'Patient.000.ndjson'))) {
      const files = ['Patient.000.ndjson', 'Condition.000.ndjson'].map((name) => join(SYNTHEA, name));
      const summary = await importNdjson(files, { fhirBase: `${node.config.publicUrl}/fhir/R4`, token: async () => token }, { bundleSize: 100, concurrency: 2 });
      expect(summary.failed).toBe(0);
      patients = readFileSync(files[0]!, 'utf8').trim().split('\n').length;
    } else {
      console.warn(`console research tests: ${SYNTHEA} is absent (it comes from ../shared/data), using synthetic patients`);
      const synthetic = ['f', 'f', 'm', 'f'].map((sex, i) => ({ resourceType: 'Patient', id: `research-p${i}`, gender: sex === 'f' ? 'female' : 'male', birthDate: '1970-01-01' }));
      expect((await postBatch({ fhirBase: node.fhirBase, token }, synthetic)).ok).toBe(true);
      patients = synthetic.length;
    }
    await waitForAnchoring(node.config.publicUrl, 60_000);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${node.config.publicUrl}/console/`);
    await page.getByRole('button', { name: 'Sign in as dev staff' }).click();
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await node?.close();
    await chain?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function expectAccessible(name: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }

  const criteria = () => page.getByLabel('Criteria (JSON, all must hold)');
  const checkText = () => page.locator('#criteria-check').textContent();

  it('checks the criteria as they are typed, with the node’s own validator, and says what is wrong', async () => {
    await page.goto(`${node.config.publicUrl}/console/#/research`);
    await page.getByRole('heading', { level: 1, name: 'Research' }).waitFor();
    expect(await page.getByText(/^No query followed yet/).isVisible()).toBe(true);
    await expect.poll(checkText).toMatch(/^Valid: patients who are/);

    await criteria().fill('[{"field": "hba1c", "op": "lt", "value": 6.555}]');
    await expect.poll(checkText).toMatch(/criteria\[0\]\.value: 6\.555 is finer than hba1c's resolution of 0\.01\./);
    expect(await page.getByRole('button', { name: 'Submit cohort query' }).isDisabled()).toBe(true);
    await criteria().fill('[{"field": "weight", "op": "gt", "value": 80}]');
    await expect.poll(checkText).toMatch(/criteria\[0\]\.field: unknown field weight; fields are birthDate, sex, hba1c/);
    await criteria().fill('[{"field": "hba1c", "op": "gte"');
    await expect.poll(checkText).toMatch(/^Not JSON yet/);
    await expectAccessible('research-invalid');
    await screenshot(page, 'research-invalid');

    await criteria().fill('[{"field": "hba1c", "op": "gte", "value": 6.5}, {"ageAtDateBetween": {"date": "2025-01-01", "min": 18, "max": 75}}]');
    await expect.poll(checkText).toMatch(/^Valid: patients who are\s*hba1c ≥ 6\.5 %\s*aged 18 to 75 on 2025-01-01/);
    expect(await page.getByRole('button', { name: 'Submit cohort query' }).isEnabled()).toBe(true);
  });

  it('submits a query and follows the hospital’s proof until the released count is verified on chain and offline', async () => {
    await criteria().fill(JSON.stringify(CRITERIA));
    await page.getByLabel('Minimum cell size (optional)').fill('2');
    await page.getByRole('button', { name: 'Submit cohort query' }).click();
    const title = page.getByRole('heading', { level: 2, name: /^Cohort query \d+$/ });
    await title.waitFor({ timeout: 30_000 });
    queryId = ((await title.textContent()) ?? '').replace('Cohort query ', '');
    const rows = page.getByRole('region', { name: 'Answers by hospital' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(2);
    const answered = rows.filter({ hasText: ORG });
    await expect.poll(() => answered.textContent(), { timeout: 120_000, interval: 1000 }).toMatch(/verified on chain and offline/);
    expect(await answered.textContent()).toMatch(new RegExp(`^${ORG}${patients} patients1verified on chain and offline0x`));
    expect(await rows.filter({ hasText: 'console-quiet-hospital' }).textContent()).toContain('not answered yet');
    const released = await page.getByLabel('Released counts').textContent();
    expect(released).toMatch(new RegExp(`Released count${patients}from 1 hospital`));
    expect(released).toContain('1 of 2');
    await expectAccessible('research-answered');
    await screenshot(page, 'research-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'research-390');
    expect(await page.evaluate(horizontalOverflow)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });
  }, 150_000);

  it('follows an answered query by its id, as a researcher who posted it with the CLI would', async () => {
    expect(queryId).toMatch(/^\d+$/);
    await page.goto(`${node.config.publicUrl}/console/#/research`);
    await page.reload();
    await page.getByLabel('Query id').fill(queryId);
    await page.getByRole('button', { name: 'Follow' }).click();
    const row = page.getByRole('region', { name: 'Answers by hospital' }).locator('tbody tr').filter({ hasText: ORG });
    await expect.poll(() => row.textContent(), { timeout: 20_000 }).toMatch(new RegExp(`${patients} patients.*verified on chain and offline`));
    await page.getByLabel('Query id').fill('999999');
    await page.getByRole('button', { name: 'Follow' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toMatch(/There is no cohort query 999999 on the chain/);
  });
});
