import { describe, expect, it } from 'vitest';
import { decodeResponse, fromHex, toHex } from '../../src/apdu/index.js';
import {
  CardTreeError,
  DedicatedFile,
  SimulatedCard,
  buildSscCard,
  importState,
  samplePerson,
} from '../../src/card-sim/index.js';
import { sm2PublicKeyOf } from '../../src/keys/index.js';
import { PKI_CERT_ADF_NAME } from '../../src/records/index.js';

/*
 * The PKI application of 3.00 cards keeps its SM2 private key as a card key (algorithm 'sm2',
 * usage 'sign') of the certificate ADF, where the card state keeps every card key, so whatever
 * protects keys in a saved image protects it too; EF 0012 holds the matching public key.
 */

function publicKeyFile(card: SimulatedCard): Uint8Array {
  for (const apdu of ['00A404000C504B492EC9E7BBE1B1A3D5CF', '00A404000C53532E434552542E41444631', '00A40000020012']) {
    expect(decodeResponse(card.transmit(fromHex(apdu))).sw).toBe(0x9000);
  }
  const r = decodeResponse(card.transmit(fromHex('00B0000042')));
  expect(r.sw).toBe(0x9000);
  return r.data;
}

describe('PKI application', () => {
  it('keeps the SM2 private key in the card state with the other keys, and it survives a save and load', () => {
    const card = buildSscCard(samplePerson('li-xiuying'), { powered: true });
    const file = publicKeyFile(card);
    expect(toHex(file.subarray(0, 2))).toBe('0040');
    const state = card.exportState();
    const json = JSON.stringify(state);
    const key = card.tree.findByDfName(PKI_CERT_ADF_NAME)?.keys.find((k) => k.usage === 'sign');
    expect(key).toMatchObject({ algorithm: 'sm2', usage: 'sign' });
    expect(json).toContain(`"algorithm":"sm2","usage":"sign","key":"${toHex(key!.key)}"`);
    const again = new SimulatedCard({ tree: importState(JSON.parse(json)), powered: true });
    expect(toHex(publicKeyFile(again))).toBe(toHex(file));
    expect(toHex(sm2PublicKeyOf(key!.key))).toBe(toHex(file.subarray(2)));
  });

  it('an SM2 key is a signing key only, and a signing key is an SM2 key of 32 bytes', () => {
    const df = new DedicatedFile({ fid: 0xadf1 });
    expect(() => df.addKey({ id: 1, algorithm: 'sm2', usage: 'external-auth', key: new Uint8Array(32) })).toThrow(
      CardTreeError,
    );
    expect(() => df.addKey({ id: 2, algorithm: 'sm4', usage: 'sign', key: new Uint8Array(16) })).toThrow(CardTreeError);
    expect(() => df.addKey({ id: 3, algorithm: 'sm2', usage: 'sign', key: new Uint8Array(16) })).toThrow(/32 bytes/);
    expect(df.addKey({ id: 4, algorithm: 'sm2', usage: 'sign', key: new Uint8Array(32).fill(1) }).algorithm).toBe(
      'sm2',
    );
  });

  it('the SM2 key serves no EXTERNAL or INTERNAL AUTHENTICATE (6A88)', () => {
    const card = buildSscCard(samplePerson('li-xiuying'), { powered: true });
    publicKeyFile(card);
    // Key 01 of the ADF is the SM2 key; EXTERNAL AUTHENTICATE wants an 'external-auth' key: 6A88.
    expect(toHex(card.transmit(fromHex('008200011000000000000000000000000000000000')))).toBe('6A88');
    expect(toHex(card.transmit(fromHex('0088000108000000000000000000')))).toBe('6A88');
  });
});
