/*
 * Commander's own parse errors ("error: unknown option '--pin-stdin=730519'") in the CLI's one
 * style, `sscard: …`, and without the values they quote: an option's value may be a PIN, a key or
 * a path the user did not mean to print in a CI log.
 */

/** Commander's error text (one or more lines, ending with a newline) as the CLI prints it. */
export function parseErrorText(text: string): string {
  let out = text.replace(/^error: /, '');
  // "option '--spec <version>' argument '3.5' is invalid.", and the env and command-argument forms.
  out = out.replace(/ (argument|value) '[\s\S]*' (?:from env '[^']*' )?is invalid/, ' $1 is invalid');
  // "unknown option '--pin-stdin=730519'": the option's name only.
  out = out.replace(/unknown option '([^']*)'/, (_m, flag: string) => `unknown option '${optionName(flag)}'`);
  // "unknown command '730519'": a mistyped command is shown, anything else is not.
  out = out.replace(/unknown command '([^']*)'/, (_m, name: string) =>
    /^[A-Za-z][A-Za-z0-9-]{0,31}$/.test(name) ? `unknown command '${name}'` : 'unknown command',
  );
  return `sscard: ${out}`;
}

/** `--name=value` -> `--name`; a cluster of short flags or `-xVALUE` -> its first flag. */
function optionName(flag: string): string {
  if (flag.startsWith('--')) return flag.split('=', 1)[0] as string;
  return flag.slice(0, 2);
}
