export * from './migrate';
export * from './routines';
export * from './transaction';
export * from './copy-rows';
export * from './embedded-database';
export * from './channel-listener';
export * from './database-availability';
export * from './embedded-owner';
