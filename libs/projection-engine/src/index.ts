export * from './projection';
export * from './projector';
