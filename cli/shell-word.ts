export { shellWord } from '../shared/core/shell-word.js';
