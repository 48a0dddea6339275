export * from './segment-facts';
export * from './segment-config';
export * from './customer-measures';
export * from './evaluate-segments';
export * from './segment-catalog';
