import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { creationOf, customerStreamId, decide, evolve, foldCustomer, initialState, type CustomerCommand } from '../../../../libs/domain/src';
import { ratedCurrencies, type SegmentConfig } from '../../../../libs/segments/src';
import { handleCommand, type EventMetadata, type EventStore, type KeyedQueue } from '../../../../libs/event-store/src';
import { COMMAND_QUEUE, EVENT_STORE, SEGMENTS, TOUCHPOINT_SCHEDULES } from '../tokens';
import { streamEventOf } from '../../../../libs/touchpoints/src';
import { touchpointFactsOf, type TouchpointSchedules } from './touchpoint-schedule';

const customerDecider = { decide, evolve, initialState, creationOf, fold: foldCustomer };

/** Every customer command goes through here: one generic load-decide-append, no handler per command type. */
export class ExecuteCustomerCommand {
  constructor(
    /** Parsed (parseCustomerCommand): decide checks only the rules that need the customer's state. */
    readonly command: CustomerCommand,
    readonly metadata: Omit<EventMetadata, 'eventId' | 'schemaVersion'>,
    readonly expectedVersion?: number,
  ) {}
}

export interface CommandAnswer {
  customerId: string;
  version: number;
  /** Global position of the last event written; pass it as ?minPosition to read your own write. Null when nothing changed. */
  position: number | null;
}

@CommandHandler(ExecuteCustomerCommand)
export class ExecuteCustomerCommandHandler implements ICommandHandler<ExecuteCustomerCommand, CommandAnswer> {
  private readonly currencies: ReadonlySet<string>;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(COMMAND_QUEUE) private readonly queue: KeyedQueue,
    @Inject(TOUCHPOINT_SCHEDULES) private readonly schedules: TouchpointSchedules,
    @Inject(SEGMENTS) segments: SegmentConfig,
  ) {
    this.currencies = ratedCurrencies(segments);
  }

  async execute({ command, metadata, expectedVersion }: ExecuteCustomerCommand): Promise<CommandAnswer> {
    const result = await handleCommand(
      this.store,
      customerStreamId(command.customerId),
      customerDecider,
      command,
      {
        expectedVersion,
        metadata,
        newId: randomUUID,
        queue: this.queue,
        // Only a completion needs the schedule: it is computed from the very history decide folds.
        loadContext: async (history) =>
          command.type === 'CompleteTouchpoint'
            ? { currencies: this.currencies, touchpoints: await this.schedules.of(touchpointFactsOf(command.customerId, history.map(streamEventOf))) }
            : { currencies: this.currencies },
      },
    );
    return { customerId: command.customerId, version: result.version, position: result.position };
  }
}
