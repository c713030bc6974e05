import { CardTreeError } from '../errors.js';

/** FID of the master file. */
export const MF_FID = 0x3f00;

/** A FID as 4 uppercase hex digits. */
export function fidText(fid: number): string {
  return fid.toString(16).toUpperCase().padStart(4, '0');
}

export function checkFid(fid: unknown, what: string): number {
  if (typeof fid !== 'number' || !Number.isInteger(fid) || fid < 0 || fid > 0xffff) {
    throw new CardTreeError(`${what}: fid must be an integer 0x0000..0xFFFF, got ${String(fid)}`);
  }
  return fid;
}
