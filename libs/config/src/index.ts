export * from './config-file';
