// Wakes the anchorer once a full batch's worth of versions has been journaled, so it closes a
// full batch at once instead of waiting for the age timer. A running count, not a query to the
// journal on every group commit: intake is the hot path.

/** Returns the store's onJournaled callback; `nudge` runs each time `maxLeaves` more have arrived. */
export function nudgeOnFullBatch(maxLeaves: number, nudge: () => void): (count: number) => void {
  let sinceNudge = 0;
  return (count) => {
    sinceNudge += count;
    if (sinceNudge >= maxLeaves) {
      sinceNudge = 0;
      nudge();
    }
  };
}
