/** What verifyHashChains answers (hash-chain.ts); the link checkers (stream-links.ts, seal-links.ts) build the broken case. */
export type ChainName = 'stream' | 'global';

export interface HashChainsIntact {
  ok: true;
  events: number;
  /** Streams verified from their first event (with intact chains: every stream with an event in scope). */
  streams: number;
  /** The seal head: seals so far, the global position and hash (hex) of the last; 0 and '' before the first. */
  head: { seq: number; position: number; hash: string };
  /** Committed events not sealed yet, and the age of the oldest (younger than the alarm age, or this would fail). */
  pending: { events: number; oldestSeconds: number };
}

export interface HashChainBroken {
  ok: false;
  chain: ChainName;
  /** The event whose link fails; null where no event can be named (seals or the head removed or altered). */
  streamId: string | null;
  streamPosition: number | null;
  globalPosition: number;
  eventId: string | null;
  reason: string;
}

export type HashChainReport = HashChainsIntact | HashChainBroken;

export interface VerifyProgress {
  phase: 'stream chains' | 'seals';
  /** How far this phase has checked (a global position, or a seal number) of how far it goes. */
  checkedUpTo: number;
  of: number;
}
