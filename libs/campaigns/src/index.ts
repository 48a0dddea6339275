export * from './campaign-assignment';
