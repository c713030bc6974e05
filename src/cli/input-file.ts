import { readFileSync } from 'node:fs';
import { CliInputError } from './errors.js';

/** The text of a file named on the command line; one that cannot be read is a CliInputError naming it. */
export function readInputFile(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliInputError(
      `${file}: ${code === 'ENOENT' ? 'file not found' : `cannot be read (${code ?? String(err)})`}`,
      { cause: err },
    );
  }
}
