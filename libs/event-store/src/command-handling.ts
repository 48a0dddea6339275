import type { KeyedQueue } from './keyed-queue';
import { DuplicateEventId, WrongExpectedVersion, type EventMetadata, type EventStore, type NewEvent, type RecordedEvent } from './event-store.port';
import { IdempotencyKeyReused, canonicalJson, idempotentEventId } from './idempotency';

/** What a decider emits: the domain never sees ids, metadata or store positions. */
export interface DomainEvent {
  type: string;
  data: object;
  occurredAt: string;
}

/** `Context`: what a decision needs besides the folded state (loaded by CommandContext.loadContext). */
export interface Decider<Command, State, Event extends DomainEvent, Context = void> {
  decide(command: Command, state: State, context: Context): Event[];
  evolve(state: State, event: Event): State;
  initialState(): State;
  /**
   * For a command that creates something under a natural id (a booking id): the index in the history of the event
   * that first used the id, or -1. If deciding the command on the state before that event gives that very event again,
   * the command is a retry of the first and gets the first answer, instead of the id's conflict.
   */
  creationOf?(command: Command, history: readonly DomainEvent[]): number;
  /** The state after a whole history, for a domain that folds one faster than `evolve` event by event. */
  fold?(events: readonly Event[]): State;
}

export interface CommandContext<Context = void> {
  /** Exact version the caller read (HTTP If-Match); without it a conflict is retried against a fresh read. */
  expectedVersion?: number;
  /** With `idempotency`, the command's event ids derive from (actor, key, index) instead of newId (idempotency.ts). */
  metadata: Omit<EventMetadata, 'eventId' | 'schemaVersion'>;
  newId: () => string;
  maxRetries?: number;
  /** Runs after a decision that appends, right before the append (forgetting destroys the data key there). */
  beforeAppend?: () => Promise<void>;
  /**
   * Runs after the stream is read, before decide: what the decision needs that the folded state does not hold, from
   * the same history (the customer's touchpoint schedule). Read again on every retry, like the state.
   */
  loadContext?: (history: RecordedEvent[]) => Promise<Context>;
  /**
   * Where the commands of one stream in this process take turns (keyed by stream id), so they never conflict with
   * each other; the retries below are then left for writers in other processes. Without it, every race is retried.
   */
  queue?: KeyedQueue;
}

export interface CommandResult {
  version: number;
  /** Global position of the last event written; null when the command changed nothing. */
  position: number | null;
  events: number;
  /** The command was carried out before (the same key, or a natural id with the same content): its first answer. */
  replayed?: true;
}

export const toDomainEvent = <Event extends DomainEvent>(recorded: RecordedEvent): Event =>
  ({ type: recorded.type, data: recorded.data, occurredAt: recorded.occurredAt }) as Event;

export const fold = <State, Event extends DomainEvent>(decider: Pick<Decider<unknown, State, Event>, 'evolve' | 'initialState' | 'fold'>, events: RecordedEvent[]): State => {
  const history = events.map((recorded) => toDomainEvent<Event>(recorded));
  return decider.fold ? decider.fold(history) : history.reduce((state, event) => decider.evolve(state, event), decider.initialState());
};

/**
 * Load the stream, fold it, decide, append at the version read; on a lost race, reload and decide again. A command
 * that was carried out before (its idempotency key's events, or its natural id with the same content, are in the
 * stream) gets the first answer and writes nothing.
 */
export function handleCommand<Command, State, Event extends DomainEvent, Context = void>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, State, Event, Context>,
  command: Command,
  context: CommandContext<Context>,
): Promise<CommandResult> {
  const { idempotency, actor } = context.metadata;
  const eventIdAt = idempotency ? (index: number) => idempotentEventId(actor.id, idempotency.key, index) : () => context.newId();
  return context.queue ? context.queue.run(streamId, () => decideAndAppend()) : decideAndAppend();

  async function decideAndAppend(): Promise<CommandResult> {
    const maxRetries = context.expectedVersion === undefined ? (context.maxRetries ?? 10) : 0;
    for (let attempt = 0; ; attempt++) {
      const history = await store.readStream(streamId);
      const version = history.length ? history[history.length - 1].streamPosition : 0;
      // Before the version check: a retry carries the If-Match of the first attempt, which the first attempt made stale.
      const keyed = firstAnswerOfKey(history);
      if (keyed) return keyed;
      const decisionContext = (await context.loadContext?.(history)) as Context;
      const again = firstAnswerOfNaturalId(history, decisionContext);
      if (again) return again;
      if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
        throw new WrongExpectedVersion(streamId, context.expectedVersion, version);
      }
      const events = decider.decide(command, fold(decider, history), decisionContext);
      if (events.length === 0) return { version, position: null, events: 0 };
      await context.beforeAppend?.();
      const toAppend: NewEvent[] = events.map((event, index) => ({
        eventId: eventIdAt(index),
        type: event.type,
        data: event.data as Record<string, unknown>,
        occurredAt: event.occurredAt,
        // The schema-aware store stamps the current version of the type (event-schemas.ts).
        metadata: { ...context.metadata, schemaVersion: 1 },
      }));
      try {
        const result = await store.append(streamId, toAppend, { expectedVersion: version });
        return { version: result.version, position: result.position, events: events.length };
      } catch (error) {
        // A keyed command may have lost the race to its own duplicate (sent again by an impatient client, or by
        // another process): one more read finds it. Its ids taken in another stream mean the key was used there.
        const recheck = idempotency !== undefined && attempt === 0 && (error instanceof WrongExpectedVersion || error instanceof DuplicateEventId);
        if (recheck || (error instanceof WrongExpectedVersion && attempt < maxRetries)) {
          // Jittered backoff spreads writers racing for one stream, so retries do not collide again in lockstep.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
          continue;
        }
        if (idempotency && error instanceof DuplicateEventId) throw new IdempotencyKeyReused(idempotency.key);
        throw error;
      }
    }
  }

  /** The events this key wrote before, found by their derived ids: the first answer, or the key reused for another request. */
  function firstAnswerOfKey(history: RecordedEvent[]): CommandResult | undefined {
    if (!idempotency) return undefined;
    const firstId = eventIdAt(0);
    const start = history.findIndex((event) => event.eventId === firstId);
    if (start < 0) return undefined;
    if (history[start].metadata.idempotency?.requestHash !== idempotency.requestHash) throw new IdempotencyKeyReused(idempotency.key);
    let end = start;
    while (end + 1 < history.length && history[end + 1].eventId === eventIdAt(end + 1 - start)) end++;
    return replayOf(history[end], end - start + 1);
  }

  function firstAnswerOfNaturalId(history: RecordedEvent[], decisionContext: Context): CommandResult | undefined {
    const index = decider.creationOf?.(command, history) ?? -1;
    if (index < 0) return undefined;
    let first: Event[];
    try {
      first = decider.decide(command, fold(decider, history.slice(0, index)), decisionContext);
    } catch {
      // Refused on the state back then: not the command that created the id. Decided below, it gets the conflict.
      return undefined;
    }
    const created = history[index];
    // occurredAt is left out: a retry that lets it default to "now" still sends the same booking.
    const same = first.length === 1 && first[0].type === created.type && canonicalJson(first[0].data) === canonicalJson(created.data);
    return same ? replayOf(created, 1) : undefined;
  }
}

const replayOf = (last: RecordedEvent, events: number): CommandResult => ({ version: last.streamPosition, position: last.globalPosition, events, replayed: true });
