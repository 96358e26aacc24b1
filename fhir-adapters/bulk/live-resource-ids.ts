// What a Bulk export reads from the node's store to list a type: ids of live resources, a page
// at a time. Implemented over SQLite by gateway/store/live-resource-index.ts; async so a
// replicated store can implement it.

export interface LiveResourceIds {
  /**
   * Up to `limit` ids of current, non-deleted resources of `type`, in id order, after `afterId`
   * ('' for the first page), last updated at or after `since` (an ISO instant as the store writes
   * it, '' for any time).
   */
  liveIds(type: string, since: string, afterId: string, limit: number): Promise<string[]>;
}
