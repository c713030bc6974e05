import { maskIdNumber } from '../../terminal/index.js';
import type { CardSideState } from '../states.js';
import type { CardStatus, HistoryEntry } from '../types.js';
import type { QueryPasswordStatus } from '../password/operations.js';
import { QUERY_PASSWORD_MAX_LENGTH, QUERY_PASSWORD_MIN_LENGTH } from '../password/rules.js';
import { assetHref } from './assets.js';
import { Html, html } from './html.js';
import { channelLabel, operationLabel, reasonLabel, stateLabel } from './labels.js';
import type { Label } from './labels.js';

/*
 * The portal's pages. Chinese first, English beside (class "en"). No script anywhere, no inline
 * style: the stylesheet comes from /assets/, as the Content-Security-Policy demands. Every form
 * posts to the portal itself and carries the session's CSRF token.
 */

export interface PageFrame {
  csrf: string;
  signedIn: boolean;
  /** The self-service loss report is offered (the registry has the operation). */
  lossReporting: boolean;
  /** The path of the page, for the navigation's aria-current. */
  path: string;
}

export interface Message {
  kind: 'ok' | 'warn' | 'bad';
  zh: string;
  en: string;
}

const both = (l: Label) => html`${l.zh}<span class="en">${l.en}</span>`;

function navLink(frame: PageFrame, path: string, label: Label): Html {
  return frame.path === path
    ? html`<a href="${path}" aria-current="page">${both(label)}</a>`
    : html`<a href="${path}">${both(label)}</a>`;
}

function nav(frame: PageFrame): Html {
  if (!frame.signedIn)
    return html`<nav class="site">${navLink(frame, '/sign-in', { zh: '登录', en: 'Sign in' })}${navLink(frame, '/reset', { zh: '忘记密码', en: 'Forgot password' })}</nav>`;
  return html`<nav class="site">
    ${navLink(frame, '/status', { zh: '我的社保卡', en: 'My card' })}
    ${navLink(frame, '/password', { zh: '修改查询密码', en: 'Change password' })}
    ${frame.lossReporting ? navLink(frame, '/loss', { zh: '挂失', en: 'Report loss' }) : null}
    <form method="post" action="/sign-out">${csrfField(frame)}<button type="submit">退出<span class="en">Sign out</span></button></form>
  </nav>`;
}

function csrfField(frame: PageFrame): Html {
  return html`<input type="hidden" name="_csrf" value="${frame.csrf}">`;
}

export function notice(message: Message | undefined): Html | null {
  if (message === undefined) return null;
  return html`<p class="notice ${message.kind}" role="${message.kind === 'bad' ? 'alert' : 'status'}">${message.zh}<span class="en">${message.en}</span></p>`;
}

export function layout(frame: PageFrame, title: Label, body: Html): string {
  return `<!doctype html>${
    html`<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title.zh} · 社会保障卡服务 | ${title.en} · Social Security Card Services</title>
<link rel="stylesheet" href="${assetHref('portal.css')}">
<link rel="icon" href="${assetHref('icon.svg')}" type="image/svg+xml">
</head>
<body>
<header class="site"><span class="title">社会保障卡网上服务<span class="en">Social Security Card Online Services</span></span>${nav(frame)}</header>
<main>
${body}
</main>
<footer class="site">服务热线 12333<span class="en">Hotline 12333</span></footer>
</body>
</html>`.text
  }`;
}

function field(
  name: string,
  label: Label,
  type: 'text' | 'password',
  attrs: { autocomplete: string; value?: string; hint?: Label; maxlength?: number; inputmode?: string },
): Html {
  return html`<label><span class="caption">${both(label)}</span>
    <input type="${type}" name="${name}" id="${name}" autocomplete="${attrs.autocomplete}" required${attrs.maxlength === undefined ? null : html` maxlength="${attrs.maxlength}"`}${attrs.inputmode === undefined ? null : html` inputmode="${attrs.inputmode}"`}${attrs.value === undefined ? null : html` value="${attrs.value}"`}>
    ${attrs.hint === undefined ? null : html`<span class="hint">${attrs.hint.zh}<span class="en">${attrs.hint.en}</span></span>`}
  </label>`;
}

/**
 * A form posting to the portal's `action`: the session's CSRF token first, then `fields` one a
 * line, then the submit button saying `submitLabel`.
 */
function postForm(frame: PageFrame, action: string, fields: readonly Html[], submitLabel: Label): Html {
  return html`<form class="stack" method="post" action="${action}">
    ${csrfField(frame)}
    ${new Html(fields.map((f) => f.text).join('\n    '))}
    <button type="submit" class="primary">${both(submitLabel)}</button>
  </form>`;
}

/** A page of one narrow card: `heading`, the message if any, then `content`. */
function narrowPage(
  frame: PageFrame,
  title: Label,
  heading: Label,
  message: Message | undefined,
  content: Html,
): string {
  return layout(
    frame,
    title,
    html`<section class="card narrow">
  <h1>${both(heading)}</h1>
  ${notice(message)}
  ${content}
</section>`,
  );
}

export function signInPage(frame: PageFrame, opts: { account?: string; message?: Message }): string {
  const signIn: Label = { zh: '登录', en: 'Sign in' };
  const form = postForm(
    frame,
    '/sign-in',
    [
      field('account', { zh: '社会保障卡号或身份证号', en: 'Card number or ID number' }, 'text', {
        autocomplete: 'username',
        value: opts.account,
        maxlength: 24,
      }),
      field('password', { zh: '信息查询密码', en: 'Query password' }, 'password', {
        autocomplete: 'current-password',
        maxlength: 64,
        hint: { zh: '初始密码为社会保障卡卡号后六位', en: 'Initially the last six characters of the card number' },
      }),
    ],
    signIn,
  );
  return narrowPage(
    frame,
    signIn,
    signIn,
    opts.message,
    html`${form}
  <p class="links"><a href="/reset">忘记密码？<span class="en">Forgot your password?</span></a></p>`,
  );
}

function stateBadge(state: CardSideState | null): Html {
  if (state === null) return html`<span class="state">无<span class="en">None (not a financial card)</span></span>`;
  const tone = state === 'active' ? 'active' : state === 'replaced' || state === 'blocked' ? 'final' : 'warn';
  return html`<span class="state ${tone}">${both(stateLabel(state))}</span>`;
}

/** History times in China Standard Time, as the cards' dates. */
function chinaTime(at: Date): string {
  return new Date(at.getTime() + 8 * 3600_000).toISOString().slice(0, 16).replace('T', ' ');
}

function historyRow(e: HistoryEntry): Html {
  const result =
    e.result === 'ok'
      ? html`<span class="result-ok">成功<span class="en">OK</span></span>`
      : html`<span class="result-refused">${both(reasonLabel(e.reason ?? ''))}</span>`;
  return html`<tr><td>${chinaTime(e.at)}</td><td>${both(operationLabel(e.operation))}</td><td>${result}</td><td>${both(channelLabel(e.channel))}</td></tr>`;
}

export interface StatusView {
  card: CardStatus;
  password: QueryPasswordStatus;
  history: HistoryEntry[];
  message?: Message;
}

export function statusPage(frame: PageFrame, view: StatusView): string {
  const { card, password } = view;
  const fact = (label: Label, value: Html | string) => html`<dt>${both(label)}</dt><dd>${value}</dd>`;
  const initialWarning = password.initial
    ? notice({
        kind: 'warn',
        zh: '您仍在使用初始查询密码，请尽快修改。',
        en: 'You are still using the initial query password; please change it.',
      })
    : null;
  return layout(
    frame,
    { zh: '我的社保卡', en: 'My card' },
    html`${notice(view.message)}${initialWarning}
<section class="card">
  <h1>${both({ zh: '卡片状态', en: 'Card status' })}</h1>
  <dl class="facts">
    ${fact({ zh: '持卡人', en: 'Holder' }, card.holderName)}
    ${fact({ zh: '身份证号', en: 'ID number' }, maskIdNumber(card.idNumber))}
    ${fact({ zh: '社会保障卡号', en: 'Card number' }, card.cardNumber)}
    ${fact({ zh: '发卡日期', en: 'Issued' }, card.issueDate)}
    ${fact({ zh: '有效期至', en: 'Valid until' }, card.expiryDate)}
    ${fact({ zh: '社保应用', en: 'Social security' }, stateBadge(card.ssc))}
    ${fact({ zh: '金融（银行）应用', en: 'Bank' }, stateBadge(card.bank))}
    ${fact(
      { zh: '社保应用密码', en: 'Application PIN' },
      card.pinInitial
        ? both({ zh: '初始密码（未修改）', en: 'Initial (never changed)' })
        : both({ zh: '已修改', en: 'Changed by you' }),
    )}
    ${fact(
      { zh: '信息查询密码', en: 'Query password' },
      password.initial ? both({ zh: '初始密码', en: 'Initial' }) : both({ zh: '已修改', en: 'Changed' }),
    )}
  </dl>
</section>
<section class="card">
  <h2>${both({ zh: '业务记录', en: 'History' })}</h2>
  ${
    view.history.length === 0
      ? html`<p>暂无记录<span class="en">Nothing recorded yet</span></p>`
      : html`<table class="history">
    <thead><tr><th>${both({ zh: '时间', en: 'Time (UTC+8)' })}</th><th>${both({ zh: '业务', en: 'Operation' })}</th><th>${both({ zh: '结果', en: 'Result' })}</th><th>${both({ zh: '渠道', en: 'Channel' })}</th></tr></thead>
    <tbody>${[...view.history].reverse().map(historyRow)}</tbody>
  </table>`
  }
</section>`,
  );
}

const NEW_PASSWORD_HINT: Label = {
  zh: `${QUERY_PASSWORD_MIN_LENGTH}–${QUERY_PASSWORD_MAX_LENGTH} 位，须同时包含字母和数字，不含空格`,
  en: `${QUERY_PASSWORD_MIN_LENGTH} to ${QUERY_PASSWORD_MAX_LENGTH} characters with letters and digits, no spaces`,
};

export function changePasswordPage(frame: PageFrame, opts: { message?: Message }): string {
  return narrowPage(
    frame,
    { zh: '修改查询密码', en: 'Change password' },
    { zh: '修改信息查询密码', en: 'Change the query password' },
    opts.message,
    postForm(
      frame,
      '/password',
      [
        field('current', { zh: '当前密码', en: 'Current password' }, 'password', {
          autocomplete: 'current-password',
          maxlength: 64,
        }),
        field('next', { zh: '新密码', en: 'New password' }, 'password', {
          autocomplete: 'new-password',
          maxlength: 64,
          hint: NEW_PASSWORD_HINT,
        }),
        field('confirm', { zh: '再次输入新密码', en: 'New password again' }, 'password', {
          autocomplete: 'new-password',
          maxlength: 64,
        }),
      ],
      { zh: '确认修改', en: 'Change' },
    ),
  );
}

export function resetPage(frame: PageFrame, opts: { message?: Message; done?: boolean }): string {
  const body = opts.done
    ? html`<p>查询密码已重置为初始密码：社会保障卡卡号后六位。请登录后立即修改。<span class="en">The query password is back to its initial value, the last six characters of the card number. Sign in and change it.</span></p>
  <p class="links"><a href="/sign-in">前往登录<span class="en">Go to sign-in</span></a></p>`
    : html`<p class="hint">请输入持卡人的身份证号、姓名和个人编号后六位；个人编号即社会保障号码（与身份证号相同）。<span class="en">Enter the holder's ID number, name and the last six characters of the personal number (the social security number, which is the ID number).</span></p>
  ${postForm(
    frame,
    '/reset',
    [
      field('idNumber', { zh: '身份证号', en: 'ID number' }, 'text', { autocomplete: 'off', maxlength: 24 }),
      field('name', { zh: '姓名', en: 'Name' }, 'text', { autocomplete: 'name', maxlength: 64 }),
      field('tail', { zh: '个人编号后六位', en: 'Last six of the personal number' }, 'text', {
        autocomplete: 'off',
        maxlength: 6,
      }),
    ],
    { zh: '重置密码', en: 'Reset password' },
  )}`;
  return narrowPage(
    frame,
    { zh: '忘记密码', en: 'Forgot password' },
    { zh: '重置信息查询密码', en: 'Reset the query password' },
    opts.message,
    body,
  );
}

export function lossPage(frame: PageFrame, opts: { card: CardStatus; message?: Message }): string {
  const sideChoice = (side: 'ssc', label: Label, state: CardSideState | null) =>
    state === null
      ? null
      : html`<label><input type="radio" name="side" value="${side}" required> ${both(label)} ${stateBadge(state)}</label>`;
  const initialPinWarning = opts.card.pinInitial
    ? notice({
        kind: 'warn',
        zh: '社保应用密码仍为初始密码的卡不能自助挂失，请拨打 12333 或到服务窗口办理。',
        en: 'A card still on its initial PIN cannot be reported lost here; call 12333 or visit a service window.',
      })
    : null;
  const form = postForm(
    frame,
    '/loss',
    [
      html`<fieldset><legend>${both({ zh: '挂失哪一项', en: 'Which side' })}</legend>
      ${sideChoice('ssc', { zh: '社保应用', en: 'Social security side' }, opts.card.ssc)}
    </fieldset>`,
    ],
    { zh: '确认挂失', en: 'Report lost' },
  );
  return narrowPage(
    frame,
    { zh: '挂失', en: 'Report loss' },
    { zh: '社会保障卡挂失', en: 'Report the card lost' },
    opts.message,
    html`${initialPinWarning}
  <p class="hint">社保应用与银行应用分别挂失；银行应用请通过发卡银行的电话或网上渠道挂失。<span class="en">The social security and bank sides are reported separately; report the bank side through the issuing bank's phone or online channels.</span></p>
  ${form}`,
  );
}

export function errorPage(frame: PageFrame, status: number, message: Message): string {
  return narrowPage(
    frame,
    { zh: '出错了', en: `Error ${status}` },
    { zh: '无法完成请求', en: `The request could not be completed (${status})` },
    message,
    html`<p class="links"><a href="/">返回首页<span class="en">Back to the start</span></a></p>`,
  );
}
