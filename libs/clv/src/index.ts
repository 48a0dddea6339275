/**
 * Customer lifetime value (issues 5 and 19): BG/NBD, MBG/NBD and Pareto/NBD buy-till-you-die models and the Gamma-Gamma value model,
 * fitted by maximum likelihood. Pure TypeScript: no framework, no I/O, no clock, no random source except seeded ones.
 */
export * from './customer-summary';
export * from './bg-models';
export * from './bg-fit';
export * from './pareto-nbd';
export * from './pareto-fit';
export * from './hypergeometric';
export * from './models';
export * from './maximum-likelihood';
export * from './gamma-gamma';
export * from './clv';
export * from './holdout';
export * from './simulation';
export * from './transaction-files';
export * from './optimisers';
