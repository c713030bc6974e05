/*
 * How big a card state may be. A chip's file system is a few DFs deep and a few dozen files large;
 * a state far beyond that is not a card, and checking or building it would recurse once per level
 * (thousands of nested DFs end in a stack overflow with no file name). So the size is checked
 * first, walking the tree with an explicit stack, before anything recurses into it.
 */

/** DF levels below the MF a state may have (the SSC has 2: SSSE/DF10). */
export const MAX_DF_DEPTH = 16;
/** Files (DFs and EFs below the MF) a state may have (the SSC has about 20). */
export const MAX_FILES = 2048;

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The first place where `input` (a state, unchecked) is too deep or too large, or undefined. */
export function stateSizeProblem(input: unknown): { keys: (string | number)[]; message: string } | undefined {
  if (!isObject(input) || !isObject(input['mf'])) return undefined;
  const stack: { df: Record<string, unknown>; keys: (string | number)[]; depth: number }[] = [
    { df: input['mf'], keys: ['mf'], depth: 0 },
  ];
  let files = 0;
  for (let next = stack.pop(); next !== undefined; next = stack.pop()) {
    const children = next.df['children'];
    if (!Array.isArray(children)) continue;
    files += children.length;
    if (files > MAX_FILES)
      return { keys: [...next.keys, 'children'], message: `more than ${MAX_FILES} files (not a card's file system)` };
    // Pushed last to first, so the first child is looked at first (the first problem is reported).
    for (let i = children.length - 1; i >= 0; i--) {
      const child: unknown = children[i];
      if (!isObject(child) || !Array.isArray(child['children'])) continue;
      const keys = [...next.keys, 'children', i];
      if (next.depth + 1 > MAX_DF_DEPTH)
        return { keys, message: `a DF nested more than ${MAX_DF_DEPTH} levels below the MF` };
      stack.push({ df: child, keys, depth: next.depth + 1 });
    }
  }
  return undefined;
}
