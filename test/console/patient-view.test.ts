// The Patient view in a real browser against two real hospital nodes on one chain (consent-pair.ts:
// A holds the record and serves the console, B's practitioners read it, B may break the glass).
// Staff open the view for a patient, which then acts with a patient access token only; the patient
// grants B access, B reads, B breaks the glass, and the page shows both accesses with their
// AuditEvent receipts and the break-glass flagged; the patient revokes and B is refused again.
// axe-core finds no serious or critical violation; screenshots at laptop and phone widths.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import { type ConsentPair, devToken, startConsentPair } from '../support/consent-pair.js';
import { postBatch, waitForAnchoring } from '../support/fhir-client.js';
import { chromiumPath, launchChromium, type PageGlobals, screenshot, seriousAxeViolations } from './console-browser.js';

const horizontalOverflow = (): number => {
  const { document } = globalThis as unknown as PageGlobals;
  return document.documentElement.scrollWidth - document.documentElement.clientWidth;
};

const PATIENT = 'console-pat-1';
const LAB = 'console-lab-1';

const browserPath = chromiumPath();
if (!browserPath) console.warn('console patient view tests: skipped, no Chromium (apt-get install -y chromium; .ci/run installs it)');

describe.skipIf(!browserPath)('Patient view in Chromium', () => {
  let pair: ConsentPair;
  let browser: Browser;
  let page: Page;
  const patientCalls: Array<{ url: string; authorization: string }> = [];

  async function readAtA(path: string, claims: Parameters<ConsentPair['memberJwt']>[0]): Promise<number> {
    const response = await fetch(`${pair.a.fhirBase}/${path}`, { headers: { authorization: `Bearer ${pair.memberJwt(claims)}` } });
    return response.status;
  }

  beforeAll(async () => {
    const [, started] = await Promise.all([ensureConsoleBundle(), startConsentPair()]);
    pair = started;
    const record: Array<{ resourceType: string; id: string; [element: string]: unknown }> = [
      { resourceType: 'Patient', id: PATIENT, gender: 'female', birthDate: '1961-04-02' },
      {
        resourceType: 'Observation',
        id: LAB,
        status: 'final',
        category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }],
        code: { coding: [{ system: 'http://loinc.org', code: '2339-0', display: 'Glucose' }] },
        subject: { reference: `Patient/${PATIENT}` },
        valueQuantity: { value: 97, unit: 'mg/dL', system: 'http://unitsofmeasure.org', code: 'mg/dL' },
      },
    ];
    const outcome = await postBatch({ fhirBase: pair.a.fhirBase, token: devToken(pair.a) }, record);
    expect(outcome.ok).toBe(true);
    await waitForAnchoring(pair.a.config.publicUrl);
    browser = await launchChromium();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    page.on('request', (request) => {
      if (request.url().includes(`/consent/patients/${PATIENT}/`) && !request.url().endsWith('/session')) {
        patientCalls.push({ url: request.url(), authorization: request.headers().authorization ?? '' });
      }
    });
    await page.goto(`${pair.a.config.publicUrl}/console/`);
    await page.getByRole('button', { name: 'Sign in as dev staff' }).click();
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await pair?.stop();
  });

  async function expectAccessible(name: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }

  it('staff open the view for a patient; from then on it calls the node with the patient token only', async () => {
    await page.goto(`${pair.a.config.publicUrl}/console/#/patient`);
    await page.getByRole('heading', { level: 1, name: 'Patient' }).waitFor();
    await page.getByLabel('Patient id').fill('no-such-patient');
    await page.getByRole('button', { name: 'Open patient view' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/The node has no a patient session for Patient\/no-such-patient|check what you typed/);
    await expectAccessible('patient-sign-in');

    await page.getByLabel('Patient id').fill(PATIENT);
    await page.getByRole('button', { name: 'Open patient view' }).click();
    await page.getByText(`Acting as Patient/${PATIENT}`).waitFor();
    await expect.poll(() => page.getByText(/^No consent yet/).isVisible()).toBe(true);
    await expect.poll(() => page.getByText(/^Nobody outside this hospital has read this record yet/).isVisible()).toBe(true);
    expect(patientCalls.length).toBeGreaterThan(0);
    expect(patientCalls.every((call) => call.authorization.startsWith('Bearer clp_'))).toBe(true);
  });

  it('grants a consent, shows B’s read and B’s break-glass read with their receipts, then revokes', async () => {
    expect(await readAtA(`Observation/${LAB}`, { practitioner: 'dr-bob', purpose: 'TREAT' })).toBe(403);
    await page.getByLabel('Organisation (org id)').fill(pair.b.config.orgId);
    await page.getByRole('button', { name: 'Grant consent' }).click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(new RegExp(`^Granted ${pair.b.config.orgId} access until `));
    const consents = page.getByRole('region', { name: 'Consents of this patient' });
    await expect.poll(() => consents.locator('tbody tr').first().textContent()).toMatch(/^active.*Observation, Patient.*treatment/);

    expect(await readAtA(`Observation/${LAB}`, { practitioner: 'dr-bob', purpose: 'TREAT' })).toBe(200);
    expect(await readAtA(`Patient/${PATIENT}`, { practitioner: 'dr-erin', purpose: 'ETREAT', breakGlassReason: 'Unconscious patient arrived in the emergency room' })).toBe(200);

    const accesses = page.getByRole('region', { name: 'Accesses to this record' }).locator('tbody tr');
    await expect.poll(() => accesses.count(), { timeout: 15_000 }).toBeGreaterThanOrEqual(2);
    await expect.poll(() => page.locator('tr.break-glass').count(), { timeout: 15_000 }).toBe(1);
    const breakGlassRow = await page.locator('tr.break-glass').textContent();
    expect(breakGlassRow).toContain(`dr-erin at ${pair.b.config.orgId}`);
    expect(breakGlassRow).toContain('break-glass');
    expect(await page.getByText(/^Break-glass: 1 emergency access without your consent/).isVisible()).toBe(true);
    const allowedRead = accesses.filter({ hasText: `Observation/${LAB}` }).first();
    expect(await allowedRead.textContent()).toContain(`dr-bob at ${pair.b.config.orgId}`);
    // Each AuditEvent is anchored like any resource: the receipt names its block.
    await expect.poll(async () => (await accesses.allTextContents()).every((row) => /anchored in block \d/.test(row)), { timeout: 20_000 }).toBe(true);
    await expectAccessible('patient-record');
    await screenshot(page, 'patient-1280');
    await page.setViewportSize({ width: 390, height: 844 });
    await screenshot(page, 'patient-390');
    expect(await page.evaluate(horizontalOverflow)).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 900 });

    await consents.getByRole('button', { name: /^Revoke consent / }).first().click();
    await expect.poll(() => page.getByRole('status').textContent(), { timeout: 20_000 }).toMatch(/^Revoked consent /);
    await expect.poll(() => consents.locator('tbody tr').first().textContent()).toMatch(/^revoked/);
    await expect.poll(() => readAtA(`Observation/${LAB}`, { practitioner: 'dr-bob', purpose: 'TREAT' }), { timeout: 10_000 }).toBe(403);
    expect(patientCalls.every((call) => call.authorization.startsWith('Bearer clp_'))).toBe(true);
    await screenshot(page, 'patient-revoked');
  });

  it('shows the telehealth consults section with how to get started', async () => {
    const section = page.getByRole('region', { name: 'Telehealth consults' });
    await expect.poll(() => section.textContent()).toMatch(/No video consult yet|Telehealth is not turned on at this node/);
  });
});
