export * from './event-store.port';
export * from './in-memory-event-store';
export * from './subscribe';
export * from './postgres/postgres-event-store';
export * from './postgres/migrate';
export * from './postgres/embedded-database';
export * from './command-handling';
export * from './postgres/transaction';
