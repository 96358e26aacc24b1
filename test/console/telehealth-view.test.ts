// The Telehealth view in real Chromium pages with fake camera and microphone, against real hospital
// nodes on one embedded chain (consult-nodes.ts: B hosts the consult and is the patient's home
// hospital, a licensing board licenses B's provider). The steps before the waiting room (schedule,
// slot, consent, booking, check-in) go through the API; the console is the point from there: the
// patient enters the waiting room with their own token, staff admit them, both join through the
// console, and each page plays the other's video over a WebRTC connection signaled through B's
// relay. axe-core finds no serious or critical violation; screenshots under test-output/console/.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureConsoleBundle } from '../../gateway/console/console-bundle.js';
import type { RunningNode } from '../../gateway/node.js';
import { startConsultNodes, type ConsultNodes } from '../support/consult-nodes.js';
import { chromiumPath, launchChromium, type PageGlobals, screenshot, seriousAxeViolations } from './console-browser.js';

const PATIENT = 'thview-pat-1';
const DR = 'thview-dr-1';

const browserPath = chromiumPath();
if (!browserPath) console.warn('console telehealth view tests: skipped, no Chromium (apt-get install -y chromium; .ci/run installs it)');

interface RemoteVideo {
  readyState: number;
  videoWidth: number;
  currentTime: number;
}

const horizontalOverflow = (): number => {
  const { document } = globalThis as unknown as PageGlobals;
  return document.documentElement.scrollWidth - document.documentElement.clientWidth;
};

/** The remote <video> as the page plays it (run in the page, so only its types are here). */
const remoteVideo = (): RemoteVideo | null => {
  const { document } = globalThis as unknown as { document: { querySelector(s: string): RemoteVideo | null } };
  const video = document.querySelector('video.remote-video');
  return video ? { readyState: video.readyState, videoWidth: video.videoWidth, currentTime: video.currentTime } : null;
};

describe.skipIf(!browserPath)('Telehealth view in Chromium: a consult call between two pages', () => {
  let nodes: ConsultNodes;
  let host: RunningNode;
  let browser: Browser;
  let provider: Page;
  let patient: Page;
  let sessionId: string;
  let patientToken: string;
  let licenceKey: Awaited<ReturnType<ConsultNodes['licensedPractitioner']>>['key'];
  let specialistKey: typeof licenceKey;
  /** Authorization of every /telehealth call the patient page made once it acted as the patient. */
  const patientPageCalls: string[] = [];
  let actingAsPatient = false;

  async function api(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${host.config.publicUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  }

  async function signedInPage(): Promise<Page> {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
    await page.goto(`${host.config.publicUrl}/console/`);
    await page.getByRole('button', { name: 'Sign in as dev staff' }).click();
    await page.getByRole('heading', { level: 1, name: 'Operations' }).waitFor();
    await page.goto(`${host.config.publicUrl}/console/#/telehealth`);
    await page.getByRole('heading', { level: 1, name: 'Telehealth' }).waitFor();
    return page;
  }

  beforeAll(async () => {
    const [, started] = await Promise.all([ensureConsoleBundle(), startConsultNodes('thview')]);
    nodes = started;
    host = nodes.b;
    const staff = nodes.staff(host);
    const [licensed, specialist] = await Promise.all([
      nodes.licensedPractitioner(),
      nodes.licensedPractitioner(),
      api('PUT', `/fhir/Patient/${PATIENT}`, staff, { resourceType: 'Patient', id: PATIENT, gender: 'female', birthDate: '1958-03-14' }),
      api('PUT', `/fhir/Practitioner/${DR}`, staff, { resourceType: 'Practitioner', id: DR, active: true }),
    ]);
    licenceKey = licensed.key;
    specialistKey = specialist.key;
    patientToken = (await api('POST', `/consent/patients/${PATIENT}/session`, staff)).body.access_token;
    const grant = await api('POST', `/consent/patients/${PATIENT}/consents`, patientToken, {
      grantee: { orgId: host.config.orgId },
      actions: ['access'],
      categories: ['Patient'],
      purposes: ['TREAT'],
      notAfter: Math.floor(Date.now() / 1000) + 3600,
    });
    expect(grant.status, JSON.stringify(grant.body)).toBe(201);
    const schedule = await api('POST', '/telehealth/schedules', staff, { practitioner: DR });
    expect(schedule.status, JSON.stringify(schedule.body)).toBe(201);
    const start = new Date(Date.now() + 120_000);
    const slot = await api('POST', `/telehealth/schedules/${schedule.body.id}/slots`, staff, { start: start.toISOString(), end: new Date(start.getTime() + 1_800_000).toISOString() });
    expect(slot.status, JSON.stringify(slot.body)).toBe(201);
    const booked = await api('POST', '/telehealth/appointments', patientToken, { slot: slot.body.id, reason: 'Follow-up on a rash' });
    expect(booked.status, JSON.stringify(booked.body)).toBe(201);
    sessionId = booked.body.sessionId;
    const checkedIn = await api('POST', `/telehealth/sessions/${sessionId}/check-in`, patientToken);
    expect(checkedIn.status, JSON.stringify(checkedIn.body)).toBe(200);

    // Fake camera and microphone, granted without a prompt. Both pages run in one browser on one
    // machine: loopback candidates let them connect where the only interface is loopback.
    browser = await launchChromium(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', '--allow-loopback-in-peer-connection']);
    [provider, patient] = await Promise.all([signedInPage(), signedInPage()]);
    patient.on('request', (request) => {
      if (actingAsPatient && request.url().includes('/telehealth/')) patientPageCalls.push(request.headers().authorization ?? '');
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await nodes?.stop();
  });

  async function expectAccessible(page: Page, name: string): Promise<void> {
    const violations = await seriousAxeViolations(page);
    expect(violations, `${name}: ${JSON.stringify(violations, null, 1)}`).toEqual([]);
  }

  it('shows the checked-in consult on the provider’s schedule and an empty waiting room', async () => {
    const row = provider.locator(`tr[data-state]`).filter({ hasText: sessionId.slice(0, 8) });
    await expect.poll(() => row.textContent(), { timeout: 10_000 }).toMatch(/Checked in/);
    expect(await provider.getByText(/^Nobody is waiting/).isVisible()).toBe(true);
    await expectAccessible(provider, 'telehealth-schedule');
    await screenshot(provider, 'telehealth-schedule');
    await provider.setViewportSize({ width: 390, height: 844 });
    await screenshot(provider, 'telehealth-schedule-390');
    expect(await provider.evaluate(horizontalOverflow)).toBeLessThanOrEqual(0);
    await provider.setViewportSize({ width: 1280, height: 900 });
  });

  it('invites a specialist of the home hospital through the form, which asks for the licence key first', async () => {
    await provider.locator('tr[data-state]').filter({ hasText: sessionId.slice(0, 8) }).getByRole('button', { name: 'Invite' }).click();
    const form = provider.getByRole('form', { name: /^Invite to consult/ });
    await form.getByLabel('Hospital (org id)').fill(nodes.a.config.orgId);
    await form.getByLabel('Practitioner id at that hospital').fill('thview-spec-1');
    await form.getByLabel('Role').selectOption('specialist');
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await expect.poll(() => form.getByRole('alert').textContent()).toMatch(/^A specialist or second opinion joins only with a licence/);
    await expectAccessible(provider, 'telehealth-invite');
    await form.getByLabel('Licence key').fill(specialistKey.address);
    await form.getByRole('button', { name: 'Send invitation' }).click();
    await expect.poll(() => provider.getByRole('status').first().textContent(), { timeout: 10_000 }).toMatch(`Invited thview-spec-1 of ${nodes.a.config.orgId}`);
    const participants = (await api('GET', `/telehealth/sessions/${sessionId}`, nodes.staff(host))).body.participants;
    expect(participants).toEqual(expect.arrayContaining([expect.objectContaining({ role: 'specialist', status: 'invited' })]));
  });

  it('refuses a credential that is not the patient’s, then lets the patient enter the waiting room with their own token', async () => {
    await patient.getByRole('button', { name: 'Patient', exact: true }).click();
    await patient.getByLabel('Patient token or patient session').fill('not-a-token');
    await patient.getByRole('button', { name: 'Continue as the patient' }).click();
    await expect.poll(() => patient.getByRole('alert').textContent()).toMatch(/^Paste the patient access token/);
    await patient.getByLabel('Patient token or patient session').fill(patientToken);
    actingAsPatient = true;
    await patient.getByRole('button', { name: 'Continue as the patient' }).click();
    await patient.getByRole('button', { name: 'Enter the waiting room' }).click();
    await expect.poll(() => patient.getByRole('status').first().textContent()).toMatch(/You are in the waiting room/);
    await expectAccessible(patient, 'telehealth-patient-waiting');
    await screenshot(patient, 'telehealth-patient-waiting');
  });

  it('staff see the patient in the waiting room and admit them with the provider’s licence key', async () => {
    const waiting = provider.getByRole('region', { name: 'Waiting room' });
    await expect.poll(() => waiting.textContent(), { timeout: 10_000 }).toContain(sessionId.slice(0, 8));
    await waiting.getByLabel('Provider’s licence key').fill('0x1234');
    await waiting.getByRole('button', { name: 'Admit patient' }).click();
    await expect.poll(() => provider.getByRole('alert').first().textContent()).toMatch(/^Type the provider’s licence key/);
    await waiting.getByLabel('Provider’s licence key').fill(licenceKey.address);
    await waiting.getByRole('button', { name: 'Admit patient' }).click();
    await expect.poll(() => provider.getByRole('status').first().textContent(), { timeout: 15_000 }).toMatch(/^Admitted the patient/);
    expect((await api('GET', `/telehealth/sessions/${sessionId}`, nodes.staff(host))).body.state).toBe('connecting');
  });

  it('both join through the console and each plays the other’s video', async () => {
    await patient.getByRole('button', { name: 'Join the call' }).click({ timeout: 10_000 });
    await provider.locator('tr[data-state="connecting"]').getByRole('button', { name: 'Join call' }).click({ timeout: 10_000 });
    // The provider signs the host's one-time challenge with the licence key, outside the page.
    const challenge = (await provider.locator('pre.challenge').textContent())!.trim();
    expect(challenge).toMatch(new RegExp(`^careledger-telehealth-join:${sessionId}:`));
    await provider.getByLabel('Signature').fill(await licenceKey.signMessage(challenge));
    await provider.getByRole('button', { name: 'Join call' }).click();

    for (const page of [provider, patient]) {
      await expect.poll(() => page.evaluate(remoteVideo), { timeout: 30_000 }).toMatchObject({ readyState: expect.any(Number) });
      await expect.poll(async () => {
        const video = await page.evaluate(remoteVideo);
        return video !== null && video.readyState >= 2 && video.videoWidth > 0;
      }, { timeout: 30_000 }).toBe(true);
      const before = (await page.evaluate(remoteVideo))!.currentTime;
      await expect.poll(async () => (await page.evaluate(remoteVideo))!.currentTime, { timeout: 10_000 }).toBeGreaterThan(before);
    }
    await expect.poll(() => provider.getByRole('status').first().textContent()).toMatch(/In the call with patient/);
    await expect.poll(() => patient.getByRole('status').first().textContent()).toMatch(/In the call with provider/);
    // The first media connection marks the consult started.
    await expect.poll(async () => (await api('GET', `/telehealth/sessions/${sessionId}`, nodes.staff(host))).body.state, { timeout: 10_000 }).toBe('in-progress');

    await provider.getByRole('button', { name: 'Mute microphone' }).click();
    expect(await provider.getByRole('button', { name: 'Unmute microphone' }).getAttribute('aria-pressed')).toBe('true');
    await expectAccessible(provider, 'telehealth-call-provider');
    await expectAccessible(patient, 'telehealth-call-patient');
    await screenshot(provider, 'telehealth-call-provider');
    await screenshot(patient, 'telehealth-call-patient');
    // Every call of the patient's side carried the patient's token, never the staff sign-in.
    expect(patientPageCalls.length).toBeGreaterThan(0);
    expect(patientPageCalls.every((authorization) => authorization === `Bearer ${patientToken}`)).toBe(true);
  }, 90_000);

  it('hangs up: the patient leaves and the provider sees the call without them', async () => {
    await patient.getByRole('button', { name: 'Hang up' }).click();
    await expect.poll(() => patient.getByRole('status').first().textContent()).toMatch(/You left the call/);
    await expect.poll(() => provider.getByRole('status').first().textContent(), { timeout: 10_000 }).toMatch(/Waiting for the other party/);
  });
});
