import type { KeyedQueue } from './keyed-queue';
import { WrongExpectedVersion, type EventMetadata, type EventStore, type NewEvent, type RecordedEvent } from './event-store.port';

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
}

export interface CommandContext<Context = void> {
  /** Exact version the caller read (HTTP If-Match); without it a conflict is retried against a fresh read. */
  expectedVersion?: number;
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
}

export const toDomainEvent = <Event extends DomainEvent>(recorded: RecordedEvent): Event =>
  ({ type: recorded.type, data: recorded.data, occurredAt: recorded.occurredAt }) as Event;

export const fold = <State, Event extends DomainEvent>(decider: Pick<Decider<unknown, State, Event>, 'evolve' | 'initialState'>, events: RecordedEvent[]): State =>
  events.reduce((state, recorded) => decider.evolve(state, toDomainEvent<Event>(recorded)), decider.initialState());

/** Load the stream, fold it, decide, append at the version read; on a lost race, reload and decide again. */
export function handleCommand<Command, State, Event extends DomainEvent, Context = void>(
  store: EventStore,
  streamId: string,
  decider: Decider<Command, State, Event, Context>,
  command: Command,
  context: CommandContext<Context>,
): Promise<CommandResult> {
  return context.queue ? context.queue.run(streamId, () => decideAndAppend()) : decideAndAppend();

  async function decideAndAppend(): Promise<CommandResult> {
    const maxRetries = context.expectedVersion === undefined ? (context.maxRetries ?? 10) : 0;
    for (let attempt = 0; ; attempt++) {
      const history = await store.readStream(streamId);
      const version = history.length ? history[history.length - 1].streamPosition : 0;
      if (context.expectedVersion !== undefined && context.expectedVersion !== version) {
        throw new WrongExpectedVersion(streamId, context.expectedVersion, version);
      }
      const decisionContext = (await context.loadContext?.(history)) as Context;
      const events = decider.decide(command, fold(decider, history), decisionContext);
      if (events.length === 0) return { version, position: null, events: 0 };
      await context.beforeAppend?.();
      const toAppend: NewEvent[] = events.map((event) => {
        const eventId = context.newId();
        return {
          eventId,
          type: event.type,
          data: event.data as Record<string, unknown>,
          occurredAt: event.occurredAt,
          // The schema-aware store stamps the current version of the type (event-schemas.ts).
          metadata: { ...context.metadata, schemaVersion: 1 },
        };
      });
      try {
        const result = await store.append(streamId, toAppend, { expectedVersion: version });
        return { version: result.version, position: result.position, events: events.length };
      } catch (error) {
        if (error instanceof WrongExpectedVersion && attempt < maxRetries) {
          // Jittered backoff spreads writers racing for one stream, so retries do not collide again in lockstep.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * (attempt + 1)));
          continue;
        }
        throw error;
      }
    }
  }
}
