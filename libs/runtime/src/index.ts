export * from './config';
export * from './runtime';
