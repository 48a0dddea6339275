import { Inject, NotFoundException } from '@nestjs/common';
import { QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import type { Pool } from 'pg';
import { customerStreamId, foldCustomer, type CustomerEvent, type CustomerState } from '../../../../libs/domain/src';
import { toDomainEvent, type EventStore, type RecordedEvent } from '../../../../libs/event-store/src';
import { findCustomerOverview, type CustomerOverview } from '../../../../projections/customer-overview/customer-overview.queries';
import { EVENT_STORE, READ_MODELS } from '../tokens';

/*
 * Query handlers skip the domain: read models are read with SQL, histories straight from the store. A read that would
 * only call its query function has no handler: the controller calls the function (the page of overviews).
 */

export class GetCustomerOverview {
  constructor(
    readonly customerId: string,
    readonly asOf?: string,
  ) {}
}
export class GetCustomerEvents {
  constructor(
    readonly customerId: string,
    readonly fromVersion: number,
    readonly limit: number,
  ) {}
}
export class GetCustomerState {
  constructor(
    readonly customerId: string,
    readonly asOf: string,
  ) {}
}

export interface CustomerEvents {
  customerId: string;
  events: RecordedEvent[];
  /** The next page's fromVersion; null on the last page. */
  nextFromVersion: number | null;
}

export interface CustomerStateAsOf {
  customerId: string;
  asOf: string;
  version: number;
  state: CustomerState;
}

const missing = (customerId: string): NotFoundException => new NotFoundException(`customer ${customerId} not found`);

@QueryHandler(GetCustomerOverview)
export class GetCustomerOverviewHandler implements IQueryHandler<GetCustomerOverview, CustomerOverview> {
  constructor(@Inject(READ_MODELS) private readonly pool: Pool) {}
  async execute({ customerId, asOf }: GetCustomerOverview): Promise<CustomerOverview> {
    const overview = await findCustomerOverview(this.pool, customerId, asOf);
    if (!overview) throw missing(customerId);
    return overview;
  }
}

@QueryHandler(GetCustomerEvents)
export class GetCustomerEventsHandler implements IQueryHandler<GetCustomerEvents, CustomerEvents> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async execute({ customerId, fromVersion, limit }: GetCustomerEvents): Promise<CustomerEvents> {
    const streamId = customerStreamId(customerId);
    const events = await this.store.readStream(streamId, { fromPosition: fromVersion, limit: limit + 1 });
    if (!events.length && !(await this.store.readStream(streamId, { limit: 1 })).length) throw missing(customerId);
    const page = events.slice(0, limit);
    return { customerId, events: page, nextFromVersion: events.length > limit ? events[limit].streamPosition : null };
  }
}

@QueryHandler(GetCustomerState)
export class GetCustomerStateHandler implements IQueryHandler<GetCustomerState, CustomerStateAsOf> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}
  async execute({ customerId, asOf }: GetCustomerState): Promise<CustomerStateAsOf> {
    const streamId = customerStreamId(customerId);
    const events = await this.store.readStream(streamId, { occurredUntil: asOf });
    if (!events.length && !(await this.store.readStream(streamId, { limit: 1 })).length) throw missing(customerId);
    return {
      customerId,
      asOf,
      version: Math.max(0, ...events.map((event) => event.streamPosition)),
      state: foldCustomer(events.map((event) => toDomainEvent<CustomerEvent>(event))),
    };
  }
}

export const CUSTOMER_QUERY_HANDLERS = [GetCustomerOverviewHandler, GetCustomerEventsHandler, GetCustomerStateHandler];
