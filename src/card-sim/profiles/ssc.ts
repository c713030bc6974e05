import { SimulatedCard } from '../card.js';
import type { SimulatedCardOptions } from '../card.js';
import { buildSscTree, buildSscTreeFrom } from './ssc-tree.js';
import type { ResolvedPersonalization } from './personalization.js';

/*
 * Simulated SSCs, personalized: the tree (ssc-tree.ts) in a card. The tree's builders are
 * exported here too, where they always were.
 */

export { sscAlgorithm, atrCardBytesOf, buildSscTree, buildSscTreeFrom } from './ssc-tree.js';
// Deprecated aliases of the identifiers that moved to src/records, exported where they always were.
export { SSSE_DF_NAME, BANK_AID, SSC_FIDS, SSC_PINS } from './ssc-ids.js';

/** Card options for buildSscCard: everything SimulatedCard takes except the tree. */
export type SscCardOptions = Omit<SimulatedCardOptions, 'tree'>;

/**
 * A simulated SSC personalized from `document` (see buildSscTree for the tree, and
 * validatePersonalization for the document; a bad document is a PersonalizationError naming the
 * field). Unpowered unless `options.powered`.
 */
export function buildSscCard(document: unknown, options: SscCardOptions = {}): SimulatedCard {
  return new SimulatedCard({ ...options, tree: buildSscTree(document) });
}

/**
 * buildSscCard for a document validatePersonalization has already resolved (see buildSscTreeFrom):
 * many cards made from one document have it checked once. Each card is made of its own bytes:
 * nothing of `p` is shared with it, so the cards never change each other, nor the document.
 */
export function buildSscCardFrom(p: ResolvedPersonalization, options: SscCardOptions = {}): SimulatedCard {
  return new SimulatedCard({ ...options, tree: buildSscTreeFrom(p) });
}
