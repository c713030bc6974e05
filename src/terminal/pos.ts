import type { Contraindication } from '../records/index.js';

/*
 * Small pieces of point-of-sale logic that pharmacy and hospital software built on SscCard needs
 * around the card: how the holder's ID number is shown on a screen or receipt, and which drugs of
 * a prescription collide with the contraindications stored on the card.
 */

/**
 * An ID number as POS screens and receipts show it (project choice): the 6-digit region code and
 * the last 4 characters stay, everything between (birth date and sequence number) becomes `*`,
 * e.g. 110105********0312. Anything of 10 characters or fewer is masked whole.
 */
export function maskIdNumber(idNumber: string): string {
  const chars = [...idNumber];
  if (chars.length <= 10) return '*'.repeat(chars.length);
  return chars.slice(0, 6).join('') + '*'.repeat(chars.length - 10) + chars.slice(-4).join('');
}

/** One drug of a prescription with what it contains: active ingredients and drug classes. */
export interface PrescriptionItem {
  drug: string;
  ingredients: readonly string[];
}

/** A drug that collides with a contraindication on the card, and the names that matched. */
export interface DrugConflict {
  drug: string;
  /** The ingredient (or class) of the drug that matched. */
  ingredient: string;
  /** The contraindication as stored on the card. */
  substance: string;
  reaction: string;
}

/** Names compared as the same text: NFKC (full-width forms), no white space, lower case. */
function normalizeName(name: string): string {
  return name.normalize('NFKC').replace(/\s+/gu, '').toLowerCase();
}

/** Shortest name that takes part in matching; a single character would match far too much. */
const MIN_MATCH_LENGTH = 2;

/**
 * The prescription's drugs that collide with the card's contraindications.
 *
 * Matching rule (project choice): a contraindication's substance and one of a drug's ingredient
 * names match when, after normalizing both (NFKC, white space removed, lower case), one contains
 * the other and both are at least 2 characters long. Containment in both directions lets a class
 * on either side match: the card's "青霉素" (penicillin) matches the ingredient class "青霉素类", and
 * the card's "磺胺类药物" matches the class "磺胺类". Listing each drug's classes next to its active
 * ingredients is the caller's job (a drug database does that in real POS software); this rule
 * never guesses that 阿莫西林 (amoxicillin) is a penicillin on its own.
 * Returns one entry per (drug, contraindication) pair, in prescription order.
 */
export function findDrugConflicts(
  contraindications: readonly Contraindication[],
  prescription: readonly PrescriptionItem[],
): DrugConflict[] {
  const conflicts: DrugConflict[] = [];
  for (const item of prescription) {
    for (const c of contraindications) {
      const substance = normalizeName(c.substance);
      if ([...substance].length < MIN_MATCH_LENGTH) continue;
      const ingredient = item.ingredients.find((name) => {
        const n = normalizeName(name);
        return [...n].length >= MIN_MATCH_LENGTH && (n.includes(substance) || substance.includes(n));
      });
      if (ingredient !== undefined) {
        conflicts.push({ drug: item.drug, ingredient, substance: c.substance, reaction: c.reaction });
      }
    }
  }
  return conflicts;
}
