export * from './segment-facts';
export * from './config-file';
export * from './segment-config';
export * from './customer-measures';
export * from './evaluate-segments';
export * from './segment-catalog';
