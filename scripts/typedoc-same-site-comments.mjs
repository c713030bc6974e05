// TypeDoc plugin. Types inferred from a valibot schema (the card state and the personalization
// document) declare each property twice, for the schema's input and its output type, at the same
// line of the same file; TypeDoc then warns that the property "has multiple declarations with a
// comment" although there is only one comment. This drops that warning (and the note listing the
// places that follows it) when every place is the same line, and keeps it otherwise, so
// `treatWarningsAsErrors` still catches real conflicts.
const WARNING = 'has multiple declarations with a comment';

/** @param {import('typedoc').Application} app */
export function load(app) {
  const logger = app.logger;
  const warn = logger.warn.bind(logger);
  const info = logger.info.bind(logger);
  /** @type {unknown[] | undefined} */
  let held;
  logger.warn = (message, ...rest) => {
    if (held !== undefined) warn(...held);
    held = typeof message === 'string' && message.includes(WARNING) ? [message, ...rest] : undefined;
    if (held === undefined) warn(message, ...rest);
  };
  logger.info = (message, ...rest) => {
    if (held !== undefined) {
      const places =
        typeof message === 'string'
          ? message
              .split('\n')
              .slice(1)
              .map((line) => line.trim())
          : [];
      const sameLine = places.length > 0 && places.every((place) => place === places[0]);
      if (!sameLine) {
        warn(...held);
        info(message, ...rest);
      }
      held = undefined;
      return;
    }
    info(message, ...rest);
  };
}
