export * from './classify.js';
export * from './errors.js';
export * from './glue-type.js';
export * from './policy.js';
export * from './table.js';
export * from './widening.js';
