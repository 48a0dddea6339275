/**
 * The read models are kept in partitions of customers: a stream belongs to partition `partitionOf(streamId)`, each
 * projection keeps one checkpoint per partition, and projector processes share the work by partitions (issue 16).
 * The count is fixed: changing it would move streams between checkpoints, so it would take a rebuild.
 */
export const PARTITIONS = 8;

/** FNV-1a over the stream id's UTF-16 code units: stable across processes and releases, cheap per event. */
export function partitionOf(streamId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < streamId.length; i++) {
    hash ^= streamId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % PARTITIONS;
}

export const ALL_PARTITIONS: readonly number[] = Array.from({ length: PARTITIONS }, (_, partition) => partition);
