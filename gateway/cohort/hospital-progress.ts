import { MemberRole, type CohortPort, type Hex, type MemberPort } from '../ledger/ports.js';

/**
 * Where one active hospital stands on a query, as far as the chain shows it. A hospital proving
 * an answer small enough for one transaction leaves no trace before it posts, so it reads as
 * `waiting` until then; `proving` is seen for answers posted in chunk batches.
 */
export type HospitalProgress = { member: Hex; orgId: string } & (
  | { state: 'answered'; releasedCount: number; belowMinimum: boolean; epoch: bigint }
  | { state: 'proving'; chunksPosted: number; chunks: number }
  | { state: 'waiting' }
);

/** Every active HOSPITAL member (those a query waits for) with its progress on `queryId`, in registration order. */
export async function hospitalProgress(cohorts: CohortPort, members: MemberPort, queryId: bigint): Promise<HospitalProgress[]> {
  const hospitals = (await members.listMembers()).filter((m) => m.active && (m.roles & MemberRole.HOSPITAL) !== 0);
  const answers = new Map((await cohorts.answersTo(queryId)).map((a) => [a.member, a]));
  return Promise.all(
    hospitals.map(async ({ memberId: member, orgId }): Promise<HospitalProgress> => {
      const answer = answers.get(member);
      if (answer) return { member, orgId, state: 'answered', releasedCount: answer.releasedCount, belowMinimum: answer.belowMinimum, epoch: answer.epoch };
      const partial = await cohorts.answerProgress(queryId, member);
      if (!partial) return { member, orgId, state: 'waiting' };
      const commitment = await cohorts.getCommitment(member, partial.epoch);
      return { member, orgId, state: 'proving', chunksPosted: partial.nextIndex, chunks: commitment?.chunkRoots.length ?? partial.nextIndex };
    }),
  );
}

/** One line for a hospital's state, as `cohort query --wait` prints it. */
export function describeProgress(progress: HospitalProgress, minCellSize: number): string {
  switch (progress.state) {
    case 'answered':
      return progress.belowMinimum ? `answered: below threshold (< ${minCellSize})` : `answered: ${progress.releasedCount} patients`;
    case 'proving':
      return `proving: ${progress.chunksPosted} of ${progress.chunks} chunk proofs on chain`;
    case 'waiting':
      return 'not answered yet';
  }
}
