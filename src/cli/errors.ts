import { SscardError } from '../apdu/index.js';

/** A problem with the command line's own inputs (files, option values). */
export class CliInputError extends SscardError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('CLI_INPUT', message, options);
  }
}
