// Ends connections that lost their footing, within seconds: every `intervalMs` (default 1 s) it
// applies the new ConsentRegistry events to the grant cache and reads the LicenceRegistry's new
// events, then re-checks the sessions in which people may be connected. A revoked (or expired)
// consent ends the whole session (everyone is ejected, the close goes on chain); a revoked
// licence ejects that practitioner. Licences that merely run out are caught by a full re-check
// every `fullCheckEvery` ticks. With anvil (a block per transaction) or Besu QBFT (2 s blocks) a
// revocation is acted on within one block plus one interval, inside the 5 s the issue allows.

import type { GrantSync } from '../consent/grant-sync.js';
import type { Hex, LicencePort } from '../ledger/ports.js';
import type { LicenceVerdict, SessionService } from './session-service.js';

export interface RevocationWatchOptions {
  grants: Pick<GrantSync, 'poll'>;
  licences: Pick<LicencePort, 'latestBlock' | 'events'> | null;
  service: SessionService;
  licence: LicenceVerdict;
  intervalMs?: number;
  fullCheckEvery?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
}

export class RevocationWatch {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private licenceBlock = -1;
  private ticks = 0;
  private stopped = false;
  private failing = false;
  private readonly now: () => number;

  constructor(private readonly options: RevocationWatchOptions) {
    this.now = options.now ?? Date.now;
  }

  /** Catches the grant cache up with the chain and starts watching from the licence registry's head. */
  async start(): Promise<void> {
    await this.options.grants.poll();
    if (this.options.licences) this.licenceBlock = await this.options.licences.latestBlock();
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
  }

  /** One pass now; concurrent callers share it. */
  tick(): Promise<void> {
    this.running ??= this.tickOnce().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.tick()
        .then(() => {
          this.failing = false;
        })
        .catch((error) => {
          if (!this.failing) this.options.onError?.(error);
          this.failing = true;
        })
        .finally(() => this.schedule());
    }, this.options.intervalMs ?? 1_000);
    this.timer.unref();
  }

  private async tickOnce(): Promise<void> {
    const { service, licence } = this.options;
    await this.options.grants.poll();
    const revokedSubjects = await this.revokedLicenceSubjects();
    const fullCheck = ++this.ticks % (this.options.fullCheckEvery ?? 10) === 0;

    for (const session of await service.liveSessions()) {
      if (session.consentGrantId) {
        const verdict = service.consentStanding(session);
        if (!verdict.ok) {
          await service.endSession(session.sessionId, verdict.detail, 'consent-revoked', true);
          continue;
        }
      }
      if (!fullCheck && revokedSubjects.size === 0) continue;
      for (const participant of await service.licensedParticipants(session.sessionId)) {
        const subject = participant.licenceSubject!;
        const lost = revokedSubjects.has(subject) ? !(await licence(subject, this.now())).ok : fullCheck && !(await licence(subject, this.now())).ok;
        if (lost) service.eject({ sessionId: session.sessionId, participantId: participant.participantId, refusal: 'licence-invalid' });
      }
    }
  }

  /** Subjects whose licence was revoked since the last pass. */
  private async revokedLicenceSubjects(): Promise<Set<Hex>> {
    const port = this.options.licences;
    const subjects = new Set<Hex>();
    if (!port) return subjects;
    const head = await port.latestBlock();
    if (head <= this.licenceBlock) return subjects;
    for (const event of await port.events(this.licenceBlock + 1, head)) {
      if (event.kind === 'revoked') subjects.add(event.subject.toLowerCase() as Hex);
    }
    this.licenceBlock = head;
    return subjects;
  }
}
