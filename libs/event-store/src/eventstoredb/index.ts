// The EventStoreDB adapter has its own entry point, so the PostgreSQL path never loads @eventstore/db-client.
export * from './eventstoredb-event-store';
