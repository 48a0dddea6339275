import { randomUUID } from 'node:crypto';
import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { customerStreamId, decide, evolve, initialState, type CustomerCommand } from '../../../../libs/domain/src';
import { handleCommand, type EventMetadata, type EventStore } from '../../../../libs/event-store/src';
import { loadTouchpointConfig } from '../../../../libs/touchpoints/src';
import type { Config } from '../../../engine/src';
import { CONFIG, EVENT_STORE, READ_MODELS } from '../tokens';
import { streamEventOf, TouchpointSchedules } from './touchpoint-schedule';

const customerDecider = { decide, evolve, initialState };

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
  private readonly schedules: TouchpointSchedules;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(READ_MODELS) readModels: Pool,
    @Inject(CONFIG) config: Config,
  ) {
    // The same file the projector schedules with (the runtime loads it the same way at start).
    this.schedules = new TouchpointSchedules(readModels, loadTouchpointConfig(config.touchpointsConfigFile));
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
        // Only a completion needs the schedule: it is computed from the very history decide folds.
        loadContext: async (history) =>
          command.type === 'CompleteTouchpoint' ? { touchpoints: await this.schedules.of(command.customerId, history.map(streamEventOf)) } : {},
      },
    );
    return { customerId: command.customerId, version: result.version, position: result.position };
  }
}
