import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concatBytes, decodeResponse, fromHex, toHex } from '../../src/apdu/index.js';
import { BANK_AID, buildSscCard, buildSscTree, SSSE_DF_NAME, samplePerson } from '../../src/card-sim/index.js';
import {
  CryptoInputError,
  SSC_KEYS,
  authenticationCryptogram,
  decipherUnblockPin,
  encryptEcb,
  padZeros,
} from '../../src/keys/index.js';
import { InvalidArgumentError, SoftwarePsam } from '../../src/terminal/index.js';

describe('authenticationCryptogram', () => {
  it('SM4: the GB/T 32907 example block', () => {
    const key = fromHex('0123456789ABCDEFFEDCBA9876543210');
    expect(toHex(authenticationCryptogram('sm4', key, key))).toBe('681EDF34D206965E86B3E94F536E4246');
  });

  it('3DES with K1 = K2 is single DES: the FIPS 81 example block', () => {
    const key = fromHex('0123456789ABCDEF0123456789ABCDEF');
    expect(toHex(authenticationCryptogram('3des', key, fromHex('4E6F772069732074')))).toBe('3FA40E8A984D4815');
  });

  it('pads a short challenge with zeros to one block', () => {
    const key = fromHex('00112233445566778899AABBCCDDEEFF');
    const challenge = fromHex('0102030405060708');
    expect(authenticationCryptogram('sm4', key, challenge)).toEqual(
      authenticationCryptogram('sm4', key, fromHex('01020304050607080000000000000000')),
    );
    expect(authenticationCryptogram('3des', key, fromHex('01020304'))).toEqual(
      authenticationCryptogram('3des', key, fromHex('0102030400000000')),
    );
  });

  it('rejects challenges longer than a block and wrong key sizes', () => {
    expect(() => authenticationCryptogram('3des', new Uint8Array(16), new Uint8Array(9))).toThrow(CryptoInputError);
    expect(() => authenticationCryptogram('sm4', new Uint8Array(8), new Uint8Array(8))).toThrow(CryptoInputError);
  });
});

describe('SoftwarePsam', () => {
  it('computes the cryptogram the card expects with the key the card holds (both algorithms, all people)', async () => {
    const people = ['zhang-wei', 'li-xiuying', 'wang-yan', 'abdurahman'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...people),
        fc.constantFrom('RKSSSE', 'UKSSSE', 'HEALTH'),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        async (who, name, challenge) => {
          const doc = samplePerson(who);
          const tree = buildSscTree(doc);
          const ssse = tree.findByDfName(SSSE_DF_NAME);
          const key = ssse?.key(SSC_KEYS[name].kid);
          expect(key).toBeDefined();
          const psam = SoftwarePsam.withTestKeys([name]);
          const mine = await psam.externalAuthenticate({
            key: name,
            algorithm: key!.cipher,
            cardIdentifier: doc.card.identifier,
            challenge,
          });
          const size = key!.cipher === 'sm4' ? 16 : 8;
          expect(mine).toEqual(encryptEcb(key!.cipher, key!.key, padZeros(challenge, size)));
        },
      ),
      { numRuns: 40 },
    );
  });

  it('knows which master keys it holds', () => {
    const pharmacy = SoftwarePsam.withTestKeys(['RKSSSE']);
    expect(pharmacy.hasKey('RKSSSE')).toBe(true);
    expect(pharmacy.hasKey('HEALTH')).toBe(false);
  });

  it('refuses bad master keys and keys it does not hold, with typed errors', async () => {
    expect(() => new SoftwarePsam({ HEALTH: new Uint8Array(8) })).toThrow(InvalidArgumentError);
    expect(() => new SoftwarePsam({ NOPE: new Uint8Array(16) } as never)).toThrow(InvalidArgumentError);
    const psam = SoftwarePsam.withTestKeys(['RKSSSE']);
    await expect(
      psam.externalAuthenticate({
        key: 'HEALTH',
        algorithm: 'sm4',
        cardIdentifier: '1101059000310026',
        challenge: new Uint8Array(8),
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      psam.externalAuthenticate({
        key: 'RKSSSE',
        algorithm: 'sm4',
        cardIdentifier: '12',
        challenge: new Uint8Array(8),
      }),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
  });

  it("does not keep a reference to the caller's master key", async () => {
    const master = new Uint8Array(16).fill(7);
    const psam = new SoftwarePsam({ HEALTH: master });
    const input = {
      key: 'HEALTH' as const,
      algorithm: '3des' as const,
      cardIdentifier: '1101059000310026',
      challenge: new Uint8Array(8),
    };
    const before = await psam.externalAuthenticate(input);
    master.fill(0);
    expect(await psam.externalAuthenticate(input)).toEqual(before);
  });
});

describe('SoftwarePsam.commandMac', () => {
  /** Sends raw bytes to the simulated card; the answer's data and SW. */
  function tx(card: ReturnType<typeof buildSscCard>, bytes: Uint8Array): { data: Uint8Array; sw: number } {
    const r = decodeResponse(card.transmit(bytes));
    return { data: r.data, sw: r.sw };
  }

  it('computes the MAC a simulated card accepts for a DF10 write (both algorithms, all people)', async () => {
    const people = ['zhang-wei', 'li-xiuying', 'wang-yan', 'abdurahman'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...people),
        fc.uint8Array({ minLength: 120, maxLength: 120 }),
        async (who, allergy) => {
          const doc = samplePerson(who);
          const card = buildSscCard(doc, { powered: true });
          const psam = SoftwarePsam.withTestKeys(['HEALTH']);
          const algorithm = doc.specVersion === '3.00' ? 'sm4' : '3des';
          const cardIdentifier = doc.card.identifier;
          expect(tx(card, concatBytes(fromHex('00A404000F'), SSSE_DF_NAME)).sw).toBe(0x9000);
          expect(tx(card, fromHex('00A4000C02DF10')).sw).toBe(0x9000);
          const authChallenge = tx(card, fromHex('0084000008')).data;
          const cryptogram = await psam.externalAuthenticate({
            key: 'HEALTH',
            algorithm,
            cardIdentifier,
            challenge: authChallenge,
          });
          expect(
            tx(card, concatBytes(Uint8Array.of(0x00, 0x82, 0x00, SSC_KEYS.HEALTH.kid, cryptogram.length), cryptogram))
              .sw,
          ).toBe(0x9000);
          const header = fromHex('04E20038');
          const challenge = tx(card, fromHex('0084000008')).data;
          const mac = await psam.commandMac({
            key: 'HEALTH',
            algorithm,
            cardIdentifier,
            header,
            data: allergy,
            challenge,
          });
          expect(mac).toHaveLength(4);
          expect(tx(card, concatBytes(header, Uint8Array.of(allergy.length + 4), allergy, mac)).sw).toBe(0x9000);
          const ef07 = card.tree.nodeAt([0x5353, 0xdf10, 0xef07]);
          expect(ef07?.kind === 'ef' ? ef07.record(1) : undefined).toEqual(allergy);
        },
      ),
      { numRuns: 12 },
    );
  });

  it('depends on the key, the header, the data and the challenge', async () => {
    const psam = new SoftwarePsam({ HEALTH: new Uint8Array(16).fill(1), UKSSSE: new Uint8Array(16).fill(2) });
    const base = {
      key: 'HEALTH' as const,
      algorithm: 'sm4' as const,
      cardIdentifier: '1101059000310026',
      header: fromHex('04DC0003'),
      data: fromHex('0102030405'),
      challenge: fromHex('1122334455667788'),
    };
    const mac = toHex(await psam.commandMac(base));
    const variants = [
      { ...base, key: 'UKSSSE' as const },
      { ...base, header: fromHex('04DC0001') },
      { ...base, data: fromHex('0102030406') },
      { ...base, challenge: fromHex('1122334455667789') },
      { ...base, cardIdentifier: '1101059000310027' },
    ];
    for (const v of variants) expect(toHex(await psam.commandMac(v))).not.toBe(mac);
    expect(toHex(await psam.commandMac(base))).toBe(mac);
  });

  it('refuses a key it does not hold and input the MAC cannot cover, with InvalidArgumentError', async () => {
    const psam = SoftwarePsam.withTestKeys(['RKSSSE']);
    const input = {
      key: 'RKSSSE' as const,
      algorithm: '3des' as const,
      cardIdentifier: '1101059000310026',
      header: fromHex('04DC0003'),
      data: new Uint8Array(10),
      challenge: new Uint8Array(8),
    };
    await expect(psam.commandMac({ ...input, key: 'HEALTH' })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(psam.commandMac({ ...input, header: fromHex('04DC00') })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(psam.commandMac({ ...input, data: new Uint8Array(252) })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(psam.commandMac({ ...input, cardIdentifier: '12' })).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(await psam.commandMac({ ...input, data: new Uint8Array(251) })).toHaveLength(4);
  });
});

describe('SoftwarePsam.encipherPinBlock', () => {
  it('enciphers the PIN block the card deciphers with its own unblock keys (SSSE and bank, both algorithms)', async () => {
    const psam = SoftwarePsam.withTestKeys(['PIN_UNBLOCK', 'BANK_PIN_UNBLOCK']);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('zhang-wei', 'wang-yan'),
        fc.constantFrom('PIN_UNBLOCK' as const, 'BANK_PIN_UNBLOCK' as const),
        fc.stringMatching(/^[0-9]{4,12}$/),
        async (who, name, pin) => {
          const doc = samplePerson(who);
          const tree = buildSscTree(doc);
          const df = tree.findByDfName(name === 'PIN_UNBLOCK' ? SSSE_DF_NAME : BANK_AID);
          const key = df?.key(SSC_KEYS[name].kid);
          expect(key?.usage).toBe('unblock');
          const cryptogram = await psam.encipherPinBlock({
            key: name,
            algorithm: key!.cipher,
            cardIdentifier: doc.card.identifier,
            pin,
          });
          expect(cryptogram).toHaveLength(key!.cipher === 'sm4' ? 16 : 8);
          expect(decipherUnblockPin(key!.cipher, key!.key, cryptogram)).toBe(pin);
        },
      ),
      { numRuns: 20 },
    );
  });

  it('refuses a key it does not hold and a PIN the block cannot carry, never naming the digits', async () => {
    const psam = SoftwarePsam.withTestKeys(['PIN_UNBLOCK']);
    const input = { key: 'PIN_UNBLOCK' as const, algorithm: '3des' as const, cardIdentifier: '1101059000310026' };
    await expect(psam.encipherPinBlock({ ...input, key: 'BANK_PIN_UNBLOCK', pin: '123456' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    const err = await psam.encipherPinBlock({ ...input, pin: '98765x' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).not.toContain('98765');
    await expect(psam.encipherPinBlock({ ...input, pin: '123456789012345' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
  });
});
