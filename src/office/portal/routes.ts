import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OperationContext } from '../context.js';
import {
  CardStateError,
  OfficeArgumentError,
  OperationRefusedError,
  QueryPasswordFormatError,
  QueryPasswordIncorrectError,
  QueryPasswordLockedError,
  QueryPasswordResetLimitError,
  RegistryBusyError,
} from '../errors.js';
import type { Registry } from '../registry.js';
import { redirect, sendHtml } from './http.js';
import { changePasswordPage, errorPage, lossPage, resetPage, signInPage, statusPage } from './pages.js';
import type { Message, PageFrame } from './pages.js';
import type { RateLimiter } from './rate-limit.js';
import type { Session, SessionStore } from './sessions.js';

/*
 * The portal's pages and what their forms do. Each POST has passed the same-origin and CSRF
 * checks before it gets here (server.ts). After a successful POST the browser is sent on with a
 * 303 (a reload does not resend the form); a refused one gets its page again with the reason.
 * Passwords come from the form and go to the registry: they are never echoed back, logged, or
 * kept in the session.
 */

/** The self-service loss report: the registry's reportLoss (the portal offers the social-security side). */
export interface LossReporter {
  reportLoss(ctx: OperationContext, input: { cardNumber: string; side: 'ssc'; channel: 'self' }): Promise<unknown>;
}

export function lossReporterOf(registry: Registry): LossReporter {
  return registry;
}

export interface PortalState {
  registry: Registry;
  ctx: OperationContext;
  sessions: SessionStore;
  limits: Record<
    'signInPerClient' | 'signInPerAccount' | 'resetPerClient' | 'resetPerAccount' | 'changePerAccount',
    RateLimiter
  >;
  loss: LossReporter | undefined;
}

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  path: string;
  client: string;
  session: Session | undefined;
  form: URLSearchParams;
  /** Replaces the exchange's session (the old one ends) and sets the cookie. */
  setSession(session: Session): Session;
  /** Ends the exchange's session and clears the cookie (sign-out). */
  endSession(): void;
  overHttps: boolean;
}

export interface PortalPages {
  frame(ex: Exchange): PageFrame;
}

type Handler = (ex: Exchange, state: PortalState, pages: PortalPages) => Promise<void>;

const page = (ex: Exchange, status: number, body: string, headers: Record<string, string> = {}) =>
  sendHtml(ex.res, status, body, { overHttps: ex.overHttps, headers });
const go = (ex: Exchange, location: string) => redirect(ex.res, location, { overHttps: ex.overHttps });

function signedIn(ex: Exchange): string | undefined {
  return ex.session?.cardNumber;
}

/** The form's text field, at most `max` characters (a longer one is cut: the rules refuse it anyway). */
function text(ex: Exchange, name: string, max = 256): string {
  return (ex.form.get(name) ?? '').slice(0, max);
}

function tooMany(retryAfterMs: number): { message: Message; headers: Record<string, string> } {
  const minutes = Math.max(1, Math.ceil(retryAfterMs / 60_000));
  return {
    message: {
      kind: 'bad',
      zh: `尝试次数过多，请 ${minutes} 分钟后再试。`,
      en: `Too many attempts; try again in ${minutes} minute${minutes === 1 ? '' : 's'}.`,
    },
    headers: { 'Retry-After': String(Math.ceil(retryAfterMs / 1000)) },
  };
}

/** Both limiters are counted (so one cannot be drained while the other refuses). */
function limited(a: RateLimiter, aKey: string, b: RateLimiter, bKey: string): number | undefined {
  const x = a.hit(aKey);
  const y = b.hit(bKey);
  return x.allowed && y.allowed ? undefined : Math.max(x.retryAfterMs, y.retryAfterMs);
}

const BUSY: Message = {
  kind: 'bad',
  zh: '系统繁忙，请稍后再试。',
  en: 'The service is busy; please try again shortly.',
};

const LOCKED: Message = {
  kind: 'bad',
  zh: '查询密码已锁定（连续输错次数过多），请通过“忘记密码”重置。',
  en: 'The query password is locked after too many wrong tries; reset it under "Forgot password".',
};

function wrongPassword(err: QueryPasswordIncorrectError): Message {
  return err.triesLeft === 0
    ? LOCKED
    : {
        kind: 'bad',
        zh: `密码错误，还可尝试 ${err.triesLeft} 次。`,
        en: `Wrong password; ${err.triesLeft} ${err.triesLeft === 1 ? 'try' : 'tries'} left.`,
      };
}

function formatMessage(err: QueryPasswordFormatError): Message {
  switch (err.problem) {
    case 'characters':
      return {
        kind: 'bad',
        zh: '新密码只能使用字母、数字和英文符号，不能有空格。',
        en: 'The new password may use letters, digits and ASCII symbols only, no spaces.',
      };
    case 'too-simple':
      return { kind: 'bad', zh: '新密码须同时包含字母和数字。', en: 'The new password needs both letters and digits.' };
    default:
      return err.which === 'new'
        ? { kind: 'bad', zh: '新密码长度不符合要求（8–20 位）。', en: 'The new password must have 8 to 20 characters.' }
        : { kind: 'bad', zh: '请输入密码。', en: 'Enter the password.' };
  }
}

// ---- sign-in ----------------------------------------------------------------------------------

const signInGet: Handler = async (ex, _state, pages) => {
  if (signedIn(ex) !== undefined) return go(ex, '/status');
  page(ex, 200, signInPage(pages.frame(ex), {}));
};

const signInPost: Handler = async (ex, state, pages) => {
  const account = text(ex, 'account', 40).trim();
  const password = text(ex, 'password', 128);
  const accountKey = account.replace(/\s+/g, '').toUpperCase();
  const wait = limited(state.limits.signInPerClient, ex.client, state.limits.signInPerAccount, accountKey);
  if (wait !== undefined) {
    const t = tooMany(wait);
    return page(ex, 429, signInPage(pages.frame(ex), { account, message: t.message }), t.headers);
  }
  try {
    const { card } = await state.registry.signInWithQueryPassword(state.ctx, { account, password });
    // A new session for the signed-in holder: an id planted before the sign-in is worth nothing.
    ex.setSession(state.sessions.create(card.cardNumber));
    return go(ex, '/status');
  } catch (err) {
    let status = 401;
    let message: Message = { kind: 'bad', zh: '账号或密码错误。', en: 'Wrong card number, ID number or password.' };
    if (err instanceof QueryPasswordIncorrectError)
      [status, message] = [err.triesLeft === 0 ? 423 : 401, wrongPassword(err)];
    else if (err instanceof CardStateError && err.state === 'replaced') {
      message = {
        kind: 'bad',
        zh: '该卡已补换，请使用新卡卡号或身份证号登录。',
        en: 'This card was replaced; sign in with the new card number or your ID number.',
      };
    } else if (err instanceof QueryPasswordLockedError) [status, message] = [423, LOCKED];
    else if (err instanceof RegistryBusyError) [status, message] = [503, BUSY];
    else if (!(
      err instanceof OperationRefusedError ||
      err instanceof OfficeArgumentError ||
      err instanceof QueryPasswordFormatError
    ))
      throw err;
    return page(ex, status, signInPage(pages.frame(ex), { account, message }));
  }
};

const signOutPost: Handler = async (ex) => {
  ex.endSession();
  go(ex, '/sign-in');
};

const home: Handler = async (ex) => go(ex, signedIn(ex) === undefined ? '/sign-in' : '/status');

// ---- status -----------------------------------------------------------------------------------

const statusGet: Handler = async (ex, state, pages) => {
  const cardNumber = signedIn(ex);
  if (cardNumber === undefined) return go(ex, '/sign-in');
  const [card, password, history] = await Promise.all([
    state.registry.cardStatus(cardNumber),
    state.registry.queryPasswordStatus(cardNumber),
    state.registry.latestHistory(cardNumber, 50),
  ]);
  const flash = ex.session?.flash;
  if (ex.session !== undefined) ex.session.flash = undefined;
  page(
    ex,
    200,
    statusPage(pages.frame(ex), { card, password, history, ...(flash === undefined ? {} : { message: flash }) }),
  );
};

// ---- change password --------------------------------------------------------------------------

const passwordGet: Handler = async (ex, _state, pages) => {
  if (signedIn(ex) === undefined) return go(ex, '/sign-in');
  page(ex, 200, changePasswordPage(pages.frame(ex), {}));
};

const passwordPost: Handler = async (ex, state, pages) => {
  const cardNumber = signedIn(ex);
  if (cardNumber === undefined) return go(ex, '/sign-in');
  const current = text(ex, 'current', 128);
  const next = text(ex, 'next', 128);
  if (next !== text(ex, 'confirm', 128)) {
    return page(
      ex,
      400,
      changePasswordPage(pages.frame(ex), {
        message: { kind: 'bad', zh: '两次输入的新密码不一致。', en: 'The two new passwords differ.' },
      }),
    );
  }
  const wait = state.limits.changePerAccount.hit(cardNumber);
  if (!wait.allowed) {
    const t = tooMany(wait.retryAfterMs);
    return page(ex, 429, changePasswordPage(pages.frame(ex), { message: t.message }), t.headers);
  }
  try {
    await state.registry.changeQueryPassword(state.ctx, { cardNumber, current, next });
  } catch (err) {
    if (
      err instanceof QueryPasswordLockedError ||
      (err instanceof QueryPasswordIncorrectError && err.triesLeft === 0)
    ) {
      ex.setSession(state.sessions.create());
      return page(ex, 423, signInPage(pages.frame(ex), { message: LOCKED }));
    }
    let status = 400;
    let message: Message;
    if (err instanceof QueryPasswordFormatError) message = formatMessage(err);
    else if (err instanceof QueryPasswordIncorrectError) [status, message] = [401, wrongPassword(err)];
    else if (err instanceof RegistryBusyError) [status, message] = [503, BUSY];
    else throw err;
    return page(ex, status, changePasswordPage(pages.frame(ex), { message }));
  }
  // The card's other sessions end with the old password; this one goes on under a new id.
  state.sessions.endCard(cardNumber);
  const fresh = ex.setSession(state.sessions.create(cardNumber));
  fresh.flash = { kind: 'ok', zh: '查询密码已修改。', en: 'The query password was changed.' };
  go(ex, '/status');
};

// ---- reset ------------------------------------------------------------------------------------

const resetGet: Handler = async (ex, _state, pages) => {
  page(ex, 200, resetPage(pages.frame(ex), {}));
};

const resetPost: Handler = async (ex, state, pages) => {
  const idNumber = text(ex, 'idNumber', 40).replace(/\s+/g, '').toUpperCase();
  const name = text(ex, 'name', 64);
  const tail = text(ex, 'tail', 16);
  const wait = limited(state.limits.resetPerClient, ex.client, state.limits.resetPerAccount, idNumber);
  if (wait !== undefined) {
    const t = tooMany(wait);
    return page(ex, 429, resetPage(pages.frame(ex), { message: t.message }), t.headers);
  }
  try {
    const done = await state.registry.resetQueryPassword(state.ctx, { idNumber, name, personalNumberTail: tail });
    state.sessions.endCard(done.cardNumber);
    if (ex.session?.cardNumber === done.cardNumber) ex.setSession(state.sessions.create());
    return page(ex, 200, resetPage(pages.frame(ex), { done: true }));
  } catch (err) {
    let status = 400;
    let message: Message = {
      kind: 'bad',
      zh: '身份信息不符，无法重置。',
      en: 'The identity details do not match; nothing was reset.',
    };
    if (err instanceof QueryPasswordResetLimitError) {
      [status, message] = [
        429,
        {
          kind: 'bad',
          zh: '今日重置次数已达上限，请明天再试或到服务窗口办理。',
          en: 'Too many resets today; try again tomorrow or visit a service window.',
        },
      ];
    } else if (err instanceof RegistryBusyError) [status, message] = [503, BUSY];
    else if (!(err instanceof OperationRefusedError || err instanceof OfficeArgumentError)) throw err;
    return page(ex, status, resetPage(pages.frame(ex), { message }));
  }
};

// ---- loss (self-service; only when the registry has the operation) ----------------------------

const lossGet: Handler = async (ex, state, pages) => {
  const cardNumber = signedIn(ex);
  if (state.loss === undefined) return notFound(ex, pages);
  if (cardNumber === undefined) return go(ex, '/sign-in');
  page(ex, 200, lossPage(pages.frame(ex), { card: await state.registry.cardStatus(cardNumber) }));
};

const lossPost: Handler = async (ex, state, pages) => {
  const cardNumber = signedIn(ex);
  if (state.loss === undefined) return notFound(ex, pages);
  if (cardNumber === undefined) return go(ex, '/sign-in');
  const side = ex.form.get('side');
  const card = await state.registry.cardStatus(cardNumber);
  // The bank side is reported through the bank's own channels (its self-service loss is the bank's role).
  if (side !== 'ssc') {
    return page(
      ex,
      400,
      lossPage(pages.frame(ex), {
        card,
        message: { kind: 'bad', zh: '请选择要挂失的应用。', en: 'Choose the side to report lost.' },
      }),
    );
  }
  try {
    await state.loss.reportLoss(state.ctx, { cardNumber, side, channel: 'self' });
  } catch (err) {
    if (!(err instanceof OperationRefusedError)) throw err;
    const message: Message =
      err.code === 'INITIAL_PIN_SELF_SERVICE'
        ? {
            kind: 'bad',
            zh: '社保应用密码仍为初始密码的卡不能自助挂失，请拨打 12333 或到服务窗口办理。',
            en: 'A card still on its initial PIN cannot be reported lost here; call 12333 or visit a service window.',
          }
        : err.code === 'CARD_STATE'
          ? {
              kind: 'bad',
              zh: '该应用当前状态不能挂失。',
              en: 'This side cannot be reported lost in its current state.',
            }
          : {
              kind: 'bad',
              zh: '无法自助挂失，请拨打 12333 或到服务窗口办理。',
              en: `This card cannot be reported lost here (${err.code}); call 12333 or visit a service window.`,
            };
    return page(ex, 409, lossPage(pages.frame(ex), { card, message }));
  }
  if (ex.session !== undefined)
    ex.session.flash = { kind: 'ok', zh: '挂失已受理。', en: 'The loss report was recorded.' };
  go(ex, '/status');
};

function notFound(ex: Exchange, pages: PortalPages): void {
  page(ex, 404, errorPage(pages.frame(ex), 404, { kind: 'bad', zh: '页面不存在。', en: 'There is no such page.' }));
}

export const ROUTES: Readonly<Record<string, { GET?: Handler; POST?: Handler }>> = {
  '/': { GET: home },
  '/sign-in': { GET: signInGet, POST: signInPost },
  '/sign-out': { POST: signOutPost },
  '/status': { GET: statusGet },
  '/password': { GET: passwordGet, POST: passwordPost },
  '/reset': { GET: resetGet, POST: resetPost },
  '/loss': { GET: lossGet, POST: lossPost },
};
