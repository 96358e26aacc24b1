// Getting into a consult: a participant asks the host for a join token (the signaling relay's
// door), TURN credentials and a notification token. Nothing is trusted from an earlier token:
// each issue asks the workflow's gate about live state (session open, admitted, invitation
// standing, the consent on the chain, the practitioner's licence on the chain), and a clinical
// participant also proves they hold the licence key (an EIP-191 signature over a one-time
// challenge, licence-holder-proof.ts). Each issue and each refusal is an anchored AuditEvent.
// The notification token comes earlier: a patient in the waiting room and an invited practitioner
// listen before they are admitted.

import { OperationOutcomeError, badRequest, conflict, forbidden } from '@medplum/core';
import type { Hex } from '../ledger/ports.js';
import type { JoinTokens } from './join-token.js';
import type { HolderChallenges } from './licence-holder-proof.js';
import { eventsPath } from './notification-stream.js';
import type { GateRefusal, Participant } from './ports.js';
import { CLINICAL_ROLES, type Caller, type SessionService } from './session-service.js';
import { signalPath } from './signaling-relay.js';
import { issueTurnCredentials, type IceConfiguration, type TurnSettings } from './turn-credentials.js';

export interface JoinGrant {
  participantId: string;
  role: Participant['role'];
  permissions: Participant['permissions'];
  /** Single use, for the signaling socket (subprotocol `careledger.token.<token>`). */
  token: string;
  expiresAt: number;
  signalPath: string;
  notificationToken: string;
  eventsPath: string;
  ice: IceConfiguration;
}

export interface NotificationGrant {
  participantId: string;
  role: Participant['role'];
  notificationToken: string;
  expiresAt: number;
  eventsPath: string;
}

const REFUSAL_STATUS: Record<GateRefusal, 'conflict' | 'forbidden'> = {
  'session-closed': 'conflict',
  'not-admitted': 'conflict',
  'not-a-participant': 'forbidden',
  'invitation-withdrawn': 'forbidden',
  'consent-revoked': 'forbidden',
  'licence-invalid': 'forbidden',
};

export class ConsultJoins {
  constructor(
    private readonly options: {
      service: SessionService;
      tokens: Pick<JoinTokens, 'issue' | 'issueNotificationToken'>;
      challenges: HolderChallenges;
      turn: TurnSettings;
      now?: () => number;
    },
  ) {}

  /** The challenge a clinical participant signs with their licence key before joining. */
  async challenge(sessionId: string, caller: Caller): Promise<{ nonce: string; message: string; expiresAt: number; subject: Hex }> {
    const subject = await this.licenceSubjectOf(sessionId, caller);
    if (!subject) throw new OperationOutcomeError(conflict('Patients and observers join without a licence challenge'));
    return { ...this.options.challenges.issue(sessionId, subject), subject };
  }

  async join(sessionId: string, caller: Caller, holderProof?: { nonce: string; signature: string }): Promise<JoinGrant> {
    const { service } = this.options;
    const session = await service.requireSession(sessionId);
    const participant = await service.participantOf(session, caller);
    const clinical = CLINICAL_ROLES.has(participant.role);
    if (clinical && !holderProof) {
      throw new OperationOutcomeError(
        badRequest('A clinical participant proves they hold their licence key: POST .../join-challenge, sign its message (EIP-191) and send {"holderProof": {"nonce", "signature"}}', 'holderProof'),
      );
    }
    const subject = clinical ? ((await service.licensedParticipants(sessionId)).find((row) => row.participantId === participant.participantId)?.licenceSubject ?? null) : null;
    // The live checks wait on chain reads (licence, membership); the holder proof, pure CPU, is checked meanwhile.
    const checking = service.check(sessionId, participant.participantId);
    const proof = subject && holderProof ? this.options.challenges.redeem(sessionId, subject, holderProof.nonce, holderProof.signature) : null;
    const decision = await checking;
    if (!decision.ok) {
      await service.recordJoinEvent(sessionId, 'join-refused', caller, { participant: participant.participantId, refusal: decision.refusal }, decision.detail);
      throw refusal(decision.refusal, decision.detail);
    }
    if (clinical && !proof?.ok) {
      const why = proof && !proof.ok ? proof.refusal : 'no-licence-key';
      await service.recordJoinEvent(sessionId, 'join-refused', caller, { participant: participant.participantId, refusal: why }, 'licence key not proven');
      throw new OperationOutcomeError({ ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text: `The licence key proof was refused (${why}); ask for a new challenge` } }] });
    }
    const admitted = decision.participant;
    const [join, notify] = await Promise.all([
      this.options.tokens.issue(sessionId, admitted),
      this.options.tokens.issueNotificationToken(sessionId, admitted),
    ]);
    await service.recordJoinEvent(sessionId, 'join-token-issued', caller, { participant: admitted.participantId, role: admitted.role, jti: join.jti });
    return {
      participantId: admitted.participantId,
      role: admitted.role,
      permissions: admitted.permissions,
      token: join.token,
      expiresAt: join.expiresAt,
      signalPath: signalPath(sessionId),
      notificationToken: notify.token,
      eventsPath: eventsPath(sessionId),
      ice: issueTurnCredentials(this.options.turn, admitted.participantId, (this.options.now ?? Date.now)()),
    };
  }

  /** A notification token for any participant, admitted or not (the waiting room, an invitation). */
  async notifications(sessionId: string, caller: Caller): Promise<NotificationGrant> {
    const { service } = this.options;
    const session = await service.requireSession(sessionId);
    const participant = await service.participantOf(session, caller);
    const notify = await this.options.tokens.issueNotificationToken(sessionId, participant);
    return { participantId: participant.participantId, role: participant.role, notificationToken: notify.token, expiresAt: notify.expiresAt, eventsPath: eventsPath(sessionId) };
  }

  private async licenceSubjectOf(sessionId: string, caller: Caller): Promise<Hex | null> {
    const { service } = this.options;
    const participant = await service.participantOf(await service.requireSession(sessionId), caller);
    if (!CLINICAL_ROLES.has(participant.role)) return null;
    const row = (await service.licensedParticipants(sessionId)).find((p) => p.participantId === participant.participantId);
    if (!row) throw refusal('not-admitted', 'the provider has not admitted the patient yet');
    return row.licenceSubject;
  }
}

function refusal(kind: GateRefusal, detail: string): OperationOutcomeError {
  const status = REFUSAL_STATUS[kind];
  const text = `${detail} (${kind})`;
  return new OperationOutcomeError(status === 'conflict' ? conflict(text, kind) : { ...forbidden, issue: [{ severity: 'error', code: 'forbidden', details: { text } }] });
}
