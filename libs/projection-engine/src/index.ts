export * from './projection';
export * from './projector';
export * from './page-cursor';
export * from './polling';
export * from './sql';
export * from './off-thread';
export * from './partitions';
export * from './shared-log';
