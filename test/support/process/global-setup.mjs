export { setup as default } from './owned-processes.mjs';
