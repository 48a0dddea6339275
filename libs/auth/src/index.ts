export * from './roles';
export * from './api-keys';
export * from './api-key-cache';
export * from './jwt';
export * from './shared-rate-limit-store';
export * from './console-sessions';
