export * from './offer-model';
export * from './recommend-offers';
export * from './offer-evaluation';
