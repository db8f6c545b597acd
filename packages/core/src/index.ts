export * from './address';
export * from './errors';
export * from './limits';
export * from './link-id';
export * from './model';
export * from './names';
export * from './syntax';
export * from './validate';
