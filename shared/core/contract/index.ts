export * from './column-type.js';
export * from './errors.js';
export * from './parse.js';
export * from './sql-refs.js';
export type * from './types.js';
