export * from './client';
export * from './errors';
export * from './router';
export * from './schemas';
export * from './types';
