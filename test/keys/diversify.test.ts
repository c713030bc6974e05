import { createDecipheriv } from 'node:crypto';
import { describe as group, expect, it } from 'vitest';
import { fc, test } from '@fast-check/vitest';
import { encodeBcd, toHex } from '../../src/apdu/index.js';
import {
  KeyDiversificationError,
  SSC_KEY_NAMES,
  diversificationInput,
  diversifyKey,
  isCardIdentifier,
  issuerTestMasterKey,
} from '../../src/keys/index.js';

function ecbDecrypt(alg: string, key: Uint8Array, data: Uint8Array): Uint8Array {
  const d = createDecipheriv(alg, key, null);
  d.setAutoPadding(false);
  return new Uint8Array(Buffer.concat([d.update(data), d.final()]));
}

const master = fc.uint8Array({ minLength: 16, maxLength: 16 });
const identifier = fc.stringMatching(/^[0-9]{16,32}$/);

group('diversifyKey', () => {
  test.prop([master, identifier])('3DES halves decrypt to the identifier data and its complement', (m, id) => {
    const key = diversifyKey(m, id, '3des');
    const bcd = encodeBcd(id);
    const data = bcd.subarray(bcd.length - 8);
    expect(key.length).toBe(16);
    expect(toHex(ecbDecrypt('des-ede-ecb', m, key.subarray(0, 8)))).toBe(toHex(data));
    expect(toHex(ecbDecrypt('des-ede-ecb', m, key.subarray(8)))).toBe(toHex(data.map((b) => b ^ 0xff)));
  });

  test.prop([master, identifier])('SM4 decrypts to data || ~data', (m, id) => {
    const key = diversifyKey(m, id, 'sm4');
    const bcd = encodeBcd(id);
    const data = bcd.subarray(bcd.length - 8);
    const plain = ecbDecrypt('sm4-ecb', m, key);
    expect(toHex(plain.subarray(0, 8))).toBe(toHex(data));
    expect(toHex(plain.subarray(8))).toBe(toHex(data.map((b) => b ^ 0xff)));
  });

  it('gives different cards different keys and is deterministic', () => {
    const m = issuerTestMasterKey('RKSSSE');
    const a = diversifyKey(m, '1101059000310026', 'sm4');
    expect(toHex(diversifyKey(m, '1101059000310026', 'sm4'))).toBe(toHex(a));
    expect(toHex(diversifyKey(m, '1101059000310027', 'sm4'))).not.toBe(toHex(a));
    expect(toHex(diversifyKey(m, '1101059000310026', '3des'))).not.toBe(toHex(a));
  });

  it('rejects bad arguments by name', () => {
    const m = issuerTestMasterKey('HEALTH');
    expect(() => diversifyKey(m.subarray(0, 8), '1101059000310026', 'sm4')).toThrow(KeyDiversificationError);
    expect(() => diversifyKey(m, '110105900031002', 'sm4')).toThrow(/card identifier must be 16 to 32 digits/);
    expect(() => diversifyKey(m, '1101059000310026', 'aes' as never)).toThrow(/algorithm must be/);
  });

  it('publishes distinct, recognisable test master keys and hands out copies', () => {
    const keys = SSC_KEY_NAMES.map((n) => toHex(issuerTestMasterKey(n)));
    expect(new Set(keys).size).toBe(SSC_KEY_NAMES.length);
    expect(Buffer.from(issuerTestMasterKey('RKSSSE')).toString('ascii')).toBe('TEST MK RKSSSE--');
    issuerTestMasterKey('IAK').fill(0);
    expect(Buffer.from(issuerTestMasterKey('IAK')).toString('ascii')).toBe('TEST MK IAK-----');
  });
});

group('card identifiers in the RID form', () => {
  const rid = '330300D15600000599110145FFFFFFFF';

  it('accepts the 32-character form and the older all-digit one, nothing else', () => {
    expect(isCardIdentifier(rid)).toBe(true);
    expect(isCardIdentifier('1101059000310026')).toBe(true);
    for (const bad of [
      rid.slice(0, 31),
      `${rid.slice(0, 31)}E`,
      rid.replace('D156', 'D157'),
      rid.toLowerCase(),
      12,
      '',
    ]) {
      expect(isCardIdentifier(bad)).toBe(false);
    }
    expect(() => diversifyKey(issuerTestMasterKey('RKSSSE'), rid.slice(0, 31), 'sm4')).toThrow(KeyDiversificationError);
  });

  it('diversifies in two levels: the region code, then the last 8 bytes before the F padding', () => {
    const { cardBytes, regionBlock } = diversificationInput(rid);
    expect(toHex(cardBytes)).toBe('5600000599110145');
    expect(regionBlock && toHex(regionBlock)).toBe('330300FFFFFFFFFF');
    expect(diversificationInput('1101059000310026').regionBlock).toBeUndefined();
    const m = issuerTestMasterKey('RKSSSE');
    for (const algorithm of ['3des', 'sm4'] as const) {
      // Same serial, other region: other keys (the region level separates them).
      expect(toHex(diversifyKey(m, rid, algorithm))).not.toBe(
        toHex(diversifyKey(m, rid.replace('330300', '330302'), algorithm)),
      );
    }
  });
});
