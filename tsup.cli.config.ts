// The command line's own bundle (see cliBundleConfig), built by `npm run build` after the library.
export { cliBundleConfig as default } from './tsup.config.js';
