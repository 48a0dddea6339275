// Test helpers (decider-spec.ts) are left out on purpose: they use jest globals.
export * from './customer.events';
export * from './campaign.events';
export * from './customer.commands';
export * from './domain.errors';
export * from './validation';
export * from './customer.state';
export * from './customer.decide';
export type { FieldError } from './command-shape';
export * from './customer-command.parse';
export * from './money';
export * from './limits';
export * from './bounded-memo';
export * from './customer.schemas';
export * from './risk-alert';
export * from './personal-data';
export * from './streams';
export * from './engine-schedule';
