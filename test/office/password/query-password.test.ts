import { beforeAll, expect, it } from 'vitest';
import {
  IdentityMismatchError,
  OfficeArgumentError,
  QueryPasswordFormatError,
  QueryPasswordIncorrectError,
  QueryPasswordLockedError,
  QueryPasswordResetLimitError,
  initialQueryPassword,
} from '../../../src/office/index.js';
import type { OperationContext } from '../../../src/office/index.js';
import { databaseOf } from '../../../src/office/registry.js';
import { rememberQueryPasswordRules } from '../../../src/office/password/rules.js';
import { ADMIN, POS, WINDOW, describeBackends, idOf, manualClock, personDocument } from '../fixtures.js';
import { FAST_HASH } from './fast-hash.js';

const PORTAL: OperationContext = { terminalId: 'portal-test', role: 'portal', channel: 'online' };
const clock = manualClock('2025-06-01T02:00:00Z');

describeBackends(
  'query password',
  (backend) => {
    const reg = () => backend().registry;
    beforeAll(() => rememberQueryPasswordRules(databaseOf(reg()), { hash: FAST_HASH }));

    const issue = async (opts: Parameters<typeof personDocument>[0] = {}) => {
      const doc = personDocument(opts);
      const { card } = await reg().issueCard(WINDOW, { document: doc });
      return { doc, card, idNumber: idOf(doc), initial: initialQueryPassword(card.cardNumber) };
    };

    it('starts as the last six characters of the card number; signs in by card number or by ID number', async () => {
      const { card, idNumber, initial } = await issue();
      expect(initial).toBe(card.cardNumber.slice(3));
      expect(await reg().queryPasswordStatus(card.cardNumber)).toEqual({
        cardNumber: card.cardNumber,
        initial: true,
        triesLeft: 3,
        tryLimit: 3,
        locked: false,
        setAt: null,
      });
      const byCard = await reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: initial });
      expect(byCard.card.cardNumber).toBe(card.cardNumber);
      expect(byCard.password).toMatchObject({ initial: true, triesLeft: 3, locked: false });
      const byId = await reg().signInWithQueryPassword(PORTAL, {
        account: idNumber.toLowerCase(),
        password: Buffer.from(initial),
      });
      expect(byId.card.cardNumber).toBe(card.cardNumber);
      const h = await reg().history(card.cardNumber);
      expect(
        h.filter((e) => e.operation === 'query_password_sign_in').map((e) => [e.result, e.details, e.role, e.channel]),
      ).toEqual([
        ['ok', { initial: true }, 'portal', 'online'],
        ['ok', { initial: true }, 'portal', 'online'],
      ]);
    });

    it('locks after three wrong tries in a row; a locked password refuses even the right value; a match restores the count', async () => {
      const { card, initial } = await issue();
      const signIn = (password: string) =>
        reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password });
      await expect(signIn('000000')).rejects.toMatchObject({ code: 'QUERY_PASSWORD_INCORRECT', triesLeft: 2 });
      await expect(signIn('000001')).rejects.toMatchObject({ code: 'QUERY_PASSWORD_INCORRECT', triesLeft: 1 });
      expect((await signIn(initial)).password.triesLeft).toBe(3);
      for (const left of [2, 1, 0]) await expect(signIn('wrong1')).rejects.toMatchObject({ triesLeft: left });
      expect(await reg().queryPasswordStatus(card.cardNumber)).toMatchObject({ locked: true, triesLeft: 0 });
      await expect(signIn(initial)).rejects.toBeInstanceOf(QueryPasswordLockedError);
      await expect(signIn('wrong1')).rejects.toBeInstanceOf(QueryPasswordLockedError);
      const h = (await reg().history(card.cardNumber)).filter((e) => e.operation === 'query_password_sign_in');
      expect(h.map((e) => e.reason)).toEqual([
        'QUERY_PASSWORD_INCORRECT',
        'QUERY_PASSWORD_INCORRECT',
        null,
        'QUERY_PASSWORD_INCORRECT',
        'QUERY_PASSWORD_INCORRECT',
        'QUERY_PASSWORD_INCORRECT',
        'QUERY_PASSWORD_LOCKED',
        'QUERY_PASSWORD_LOCKED',
      ]);
      expect(h.map((e) => e.details['triesLeft'] ?? null)).toEqual([2, 1, null, 2, 1, 0, null, null]);
      const latest = await reg().latestHistory(card.cardNumber, 2);
      expect(latest.map((e) => e.reason)).toEqual(['QUERY_PASSWORD_LOCKED', 'QUERY_PASSWORD_LOCKED']);
      expect(latest[0]!.id).toBeLessThan(latest[1]!.id);
      expect((await reg().latestHistory(card.cardNumber)).map((e) => e.id)).toEqual(
        (await reg().history(card.cardNumber)).map((e) => e.id),
      );
    });

    it('spends tries one at a time under concurrent sign-ins: three wrong answers, then locked', async () => {
      const { card } = await issue();
      const results = await Promise.allSettled(
        Array.from({ length: 5 }, (_, i) =>
          reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: `bad-${i}` }),
        ),
      );
      const codes = results.map((r) => (r.status === 'rejected' ? (r.reason as { code: string }).code : 'ok')).sort();
      expect(codes).toEqual([
        'QUERY_PASSWORD_INCORRECT',
        'QUERY_PASSWORD_INCORRECT',
        'QUERY_PASSWORD_INCORRECT',
        'QUERY_PASSWORD_LOCKED',
        'QUERY_PASSWORD_LOCKED',
      ]);
      const lefts = results
        .flatMap((r) =>
          r.status === 'rejected' && r.reason instanceof QueryPasswordIncorrectError ? [r.reason.triesLeft] : [],
        )
        .sort();
      expect(lefts).toEqual([0, 1, 2]);
    });

    it('refuses malformed passwords and accounts before spending anything, and records nothing for them', async () => {
      const { card } = await issue();
      await expect(
        reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: '' }),
      ).rejects.toBeInstanceOf(QueryPasswordFormatError);
      await expect(
        reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: 'x'.repeat(65) }),
      ).rejects.toMatchObject({ code: 'QUERY_PASSWORD_FORMAT', problem: 'length' });
      await expect(
        reg().signInWithQueryPassword(PORTAL, { account: 'not-an-account', password: '123456' }),
      ).rejects.toBeInstanceOf(OfficeArgumentError);
      expect(await reg().queryPasswordStatus(card.cardNumber)).toMatchObject({ triesLeft: 3 });
      expect(await reg().history(card.cardNumber)).toHaveLength(1);
    });

    it('refuses unknown accounts in the history, and other roles than the portal', async () => {
      await expect(
        reg().signInWithQueryPassword(PORTAL, { account: 'Z00000009', password: '000009' }),
      ).rejects.toMatchObject({ code: 'CARD_NOT_FOUND' });
      const stranger = idOf(personDocument());
      await expect(
        reg().signInWithQueryPassword(PORTAL, { account: stranger, password: '000009' }),
      ).rejects.toMatchObject({ code: 'PERSON_NOT_FOUND' });
      expect((await reg().history('Z00000009')).map((e) => [e.operation, e.reason])).toEqual([
        ['query_password_sign_in', 'CARD_NOT_FOUND'],
      ]);
      expect((await reg().historyOfPerson(stranger)).map((e) => e.reason)).toEqual(['PERSON_NOT_FOUND']);
      const { card, initial } = await issue();
      await expect(
        reg().signInWithQueryPassword(POS, { account: card.cardNumber, password: initial }),
      ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    });

    it('changes the password: the current one is a try, the new one must follow the rules; the old one stops working', async () => {
      const { card, initial } = await issue();
      const change = (current: string, next: string) =>
        reg().changeQueryPassword(PORTAL, { cardNumber: card.cardNumber, current, next });
      for (const [next, problem] of [
        ['short1', 'length'],
        ['abcdefghij', 'too-simple'],
        ['12345678', 'too-simple'],
        ['pass word1', 'characters'],
        ['密码密码密码12', 'characters'],
        ['a'.repeat(20) + '1', 'length'],
      ] as const) {
        await expect(change(initial, next)).rejects.toMatchObject({
          code: 'QUERY_PASSWORD_FORMAT',
          which: 'new',
          problem,
        });
      }
      expect(await reg().queryPasswordStatus(card.cardNumber)).toMatchObject({ triesLeft: 3, initial: true });
      await expect(change('999999', 'Sesame2025')).rejects.toMatchObject({
        code: 'QUERY_PASSWORD_INCORRECT',
        triesLeft: 2,
      });
      clock.set('2025-06-02T03:00:00Z');
      const after = await change(initial, 'Sesame2025');
      expect(after).toMatchObject({
        initial: false,
        triesLeft: 3,
        locked: false,
        setAt: new Date('2025-06-02T03:00:00Z'),
      });
      await expect(
        reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: initial }),
      ).rejects.toBeInstanceOf(QueryPasswordIncorrectError);
      expect(
        (await reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: 'Sesame2025' })).password,
      ).toMatchObject({ initial: false, triesLeft: 3 });
      const h = (await reg().history(card.cardNumber)).filter((e) => e.operation === 'query_password_change');
      expect(h.map((e) => [e.result, e.reason, e.details])).toEqual([
        ['refused', 'QUERY_PASSWORD_INCORRECT', { triesLeft: 2 }],
        ['ok', null, { initial: false }],
      ]);
    });

    it('a locked password cannot be changed; a kept card number with letters gives an initial value with letters', async () => {
      const { card, initial } = await issue();
      for (let i = 0; i < 3; i++)
        await reg()
          .signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: 'nope-nope' })
          .catch(() => undefined);
      await expect(
        reg().changeQueryPassword(PORTAL, { cardNumber: card.cardNumber, current: initial, next: 'Sesame2025' }),
      ).rejects.toBeInstanceOf(QueryPasswordLockedError);
      const doc = personDocument();
      (doc['card'] as Record<string, unknown>)['number'] = 'A1234AB12';
      (doc['card'] as Record<string, unknown>)['identifier'] = '1101059000000777';
      const kept = await reg().issueCard(WINDOW, { document: doc, keepNumbers: true });
      expect(initialQueryPassword(kept.card.cardNumber)).toBe('34AB12');
      expect(
        (await reg().signInWithQueryPassword(PORTAL, { account: 'a1234ab12', password: '34AB12' })).card.cardNumber,
      ).toBe('A1234AB12');
    });

    it('resets with the ID number, the name and the last six of the personal number, back to the initial value, lock lifted', async () => {
      const { card, idNumber, initial } = await issue({ name: '王小明' });
      await reg().changeQueryPassword(PORTAL, { cardNumber: card.cardNumber, current: initial, next: 'Forgot2025' });
      for (let i = 0; i < 3; i++)
        await reg()
          .signInWithQueryPassword(PORTAL, { account: idNumber, password: 'guess-1' })
          .catch(() => undefined);
      expect(await reg().queryPasswordStatus(card.cardNumber)).toMatchObject({ locked: true });
      const reset = (name: string, tail: string) =>
        reg().resetQueryPassword(PORTAL, { idNumber, name, personalNumberTail: tail });
      await expect(reset('王小红', idNumber.slice(-6))).rejects.toBeInstanceOf(IdentityMismatchError);
      await expect(reset('王小明', card.cardNumber.slice(-6))).rejects.toBeInstanceOf(IdentityMismatchError);
      const done = await reset(' 王 小明 ', idNumber.slice(-6).toLowerCase());
      expect(done).toMatchObject({ cardNumber: card.cardNumber, initial: true, triesLeft: 3, locked: false });
      expect(
        (await reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: initial })).password.initial,
      ).toBe(true);
      await expect(
        reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: 'Forgot2025' }),
      ).rejects.toBeInstanceOf(QueryPasswordIncorrectError);
      const h = (await reg().historyOfPerson(idNumber)).filter((e) => e.operation === 'query_password_reset');
      expect(h.map((e) => [e.result, e.reason, e.cardNumber])).toEqual([
        ['refused', 'IDENTITY_MISMATCH', null],
        ['refused', 'IDENTITY_MISMATCH', null],
        ['ok', null, card.cardNumber],
      ]);
      await expect(
        reg().resetQueryPassword(POS, { idNumber, name: '王小明', personalNumberTail: idNumber.slice(-6) }),
      ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
      expect(
        (await reg().resetQueryPassword(WINDOW, { idNumber, name: '王小明', personalNumberTail: idNumber.slice(-6) }))
          .initial,
      ).toBe(true);
    });

    it('allows three resets of a card in 24 hours', async () => {
      const { idNumber } = await issue({ name: '李四' });
      const reset = () =>
        reg().resetQueryPassword(PORTAL, { idNumber, name: '李四', personalNumberTail: idNumber.slice(-6) });
      clock.set('2025-07-01T00:00:00Z');
      for (let i = 0; i < 3; i++) await reset();
      await expect(reset()).rejects.toBeInstanceOf(QueryPasswordResetLimitError);
      clock.set('2025-07-02T00:00:01Z');
      await expect(reset()).resolves.toMatchObject({ initial: true });
      await expect(
        reg().resetQueryPassword(PORTAL, {
          idNumber: idOf(personDocument()),
          name: '李四',
          personalNumberTail: '000000',
        }),
      ).rejects.toMatchObject({ code: 'PERSON_NOT_FOUND' });
    });

    it('stores a new verifier when the hash parameters were raised', async () => {
      const { card, initial } = await issue();
      await reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: initial });
      const verifier = async () =>
        (
          await databaseOf(reg()).query<{ verifier: string }>(
            'SELECT verifier FROM query_passwords WHERE card_number = $1',
            [card.cardNumber],
          )
        ).rows[0]!.verifier;
      expect(await verifier()).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
      rememberQueryPasswordRules(databaseOf(reg()), { hash: { ...FAST_HASH, ln: 11 } });
      try {
        await expect(
          reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: 'wrong-one' }),
        ).rejects.toBeInstanceOf(QueryPasswordIncorrectError);
        expect(await verifier()).toMatch(/^\$scrypt\$ln=10,/);
        await reg().signInWithQueryPassword(PORTAL, { account: card.cardNumber, password: initial });
        expect(await verifier()).toMatch(/^\$scrypt\$ln=11,r=8,p=1\$/);
        expect(await reg().queryPasswordStatus(card.cardNumber)).toMatchObject({ initial: true, triesLeft: 3 });
      } finally {
        rememberQueryPasswordRules(databaseOf(reg()), { hash: FAST_HASH });
      }
    });

    it('keeps no password anywhere: not in the history, not in any table; verifiers are salted scrypt', async () => {
      const { card: a, initial } = await issue();
      const { card: b } = await issue();
      const secret = 'Unique7Secret';
      await reg().changeQueryPassword(PORTAL, { cardNumber: a.cardNumber, current: initial, next: secret });
      await reg().changeQueryPassword(PORTAL, {
        cardNumber: b.cardNumber,
        current: initialQueryPassword(b.cardNumber),
        next: secret,
      });
      await reg().signInWithQueryPassword(PORTAL, { account: a.cardNumber, password: secret });
      await reg()
        .signInWithQueryPassword(PORTAL, { account: a.cardNumber, password: 'Wrong7Secret' })
        .catch(() => undefined);
      const db = databaseOf(reg());
      const tables = await db.query<{ t: string }>("SELECT tablename AS t FROM pg_tables WHERE schemaname = 'public'");
      expect(tables.rows.map((r) => r.t)).toContain('query_passwords');
      let dump = '';
      for (const { t } of tables.rows) dump += JSON.stringify((await db.query(`SELECT * FROM ${t}`)).rows);
      const encodings = (s: string) => [
        s,
        Buffer.from(s).toString('hex'),
        Buffer.from(s).toString('base64').replace(/=+$/, ''),
        Buffer.from(s).toString('hex').toUpperCase(),
      ];
      for (const word of [secret, 'Wrong7Secret']) for (const enc of encodings(word)) expect(dump).not.toContain(enc);
      const rows = (
        await db.query<{ card_number: string; verifier: string }>(
          'SELECT card_number, verifier FROM query_passwords WHERE card_number IN ($1, $2)',
          [a.cardNumber, b.cardNumber],
        )
      ).rows;
      expect(rows).toHaveLength(2);
      for (const r of rows)
        expect(r.verifier).toMatch(/^\$scrypt\$ln=\d+,r=\d+,p=\d+\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
      expect(rows[0]!.verifier).not.toBe(rows[1]!.verifier);
      const history = [...(await reg().history(a.cardNumber)), ...(await reg().history(b.cardNumber))];
      expect(JSON.stringify(history)).not.toMatch(/Secret|scrypt/);
    });

    it('admin may sign in for support; a window may not', async () => {
      const { card, initial } = await issue();
      expect(
        (await reg().signInWithQueryPassword(ADMIN, { account: card.cardNumber, password: initial })).card.cardNumber,
      ).toBe(card.cardNumber);
      await expect(
        reg().signInWithQueryPassword(WINDOW, { account: card.cardNumber, password: initial }),
      ).rejects.toMatchObject({ code: 'ROLE_NOT_ALLOWED' });
    });
  },
  { clock },
);
