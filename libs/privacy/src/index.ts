export * from './customer-keys';
export * from './personal-envelope';
export * from './encrypting-event-store';
export * from './forget-customer';
export * from './blind-index';
