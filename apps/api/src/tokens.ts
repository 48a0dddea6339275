/** Injection tokens for the runtime pieces (apps/engine/src/runtime.ts). */
export const EVENT_STORE = Symbol('EventStore');
/** Where commands for one stream take turns in this process (handleCommand's queue). */
export const COMMAND_QUEUE = Symbol('CommandQueue');
export const READ_MODELS = Symbol('ReadModelPool');
export const PROJECTOR = Symbol('Projector');
/** The global chain's sealer, or null (EventStoreDB log). */
export const SEALER = Symbol('Sealer');
export const CONFIG = Symbol('Config');
export const SEGMENTS = Symbol('SegmentConfig');
export const CHURN = Symbol('ChurnConfig');
/** The write side's touchpoint schedules (completing a touchpoint), on the runtime's checked touchpoint config. */
export const TOUCHPOINT_SCHEDULES = Symbol('TouchpointSchedules');
/** Next-trip offers (apps/api/src/offers/offer-reader.ts): one model cache per process. */
export const OFFERS = Symbol('OfferReader');
