export * from './config';
export * from './runtime';
export * from './shutdown';
export * from './command-line';
export * from './projector-thread';
