export * from './lab';
export * from './koko';
