import { SscardError } from '../../apdu/index.js';

/*
 * In a module of its own so that the sample people (people.ts) load without the personalization
 * schema: the CLI lists them in its help texts, and building the schema is most of what loading
 * the card OS costs.
 */

/** A personalization document that cannot make a card; `path` names the offending field. */
export class PersonalizationError extends SscardError {
  readonly path: string;

  constructor(path: string, problem: string, options?: { cause?: unknown }) {
    super('PERSONALIZATION_INVALID', `${path}: ${problem}`, options);
    this.path = path;
  }
}
