/** Injection tokens for the runtime pieces (libs/runtime/src/runtime.ts). */
export const EVENT_STORE = Symbol('EventStore');
export const READ_MODELS = Symbol('ReadModelPool');
export const PROJECTOR = Symbol('Projector');
export const CONFIG = Symbol('Config');
export const SEGMENTS = Symbol('SegmentConfig');
export const CHURN = Symbol('ChurnConfig');
