export { teardown as default } from './owned-processes.mjs';
