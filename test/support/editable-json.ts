/**
 * A parsed JSON document as a test edits it: any path, any value. Tests break documents and states
 * on purpose to check that the validators name what is wrong, so no type may stand in the way.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the point is editing into shapes no type allows
export type EditableJson = Record<string, any>;
