// The port and the PostgreSQL adapter; the EventStoreDB adapter is imported from './eventstoredb' where it is used.
export * from './event-store.port';
export * from './in-memory-event-store';
export * from './subscribe';
export * from './postgres/postgres-event-store';
export * from './command-handling';
export * from './keyed-queue';
export * from './event-store-decorator';
export * from './event-schemas';
export * from './postgres/hash-chain';
export * from './postgres/sealer';
export { inNotAppendingTransaction } from './postgres/not-appending';
export * from './idempotency';
