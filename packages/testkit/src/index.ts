export * from './lab';
export * from './koko';
export * from './agent-process';
export * from './simulated-hosts';
export * from './host-lab';
export * from './bench';
export * from './process';
