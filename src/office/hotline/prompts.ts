/*
 * What the 12333 voice menu says, in Chinese as the hotline speaks it and with an English gloss
 * (--lang en). The menu (menu.ts) names prompts by id with their parameters; this file alone holds
 * the words. No prompt ever carries a PIN: the only parameters are dates, day counts, tries left
 * and the last digits of a card number.
 */

export type Lang = 'zh' | 'en';

export const PROMPT_IDS = [
  'welcome',
  'main_menu',
  'operator',
  'card_menu',
  'card_menu_with_loss',
  'ask_card_number',
  'ask_current_pin',
  'ask_id_number',
  'ask_new_pin',
  'ask_new_pin_again',
  'invalid_key',
  'card_number_invalid',
  'card_not_found',
  'pin_format',
  'id_invalid',
  'id_mismatch',
  'new_pin_initial',
  'new_pin_same',
  'new_pin_mismatch',
  'too_many_errors',
  'card_pin_locked',
  'card_not_usable',
  'notice_pending',
  'notice_failed_pin',
  'notice_failed_locked',
  'notice_failed',
  'notice_expired',
  'change_queued',
  'change_refused',
  'ask_loss_side',
  'ask_loss_confirm',
  'loss_reported',
  'loss_refused',
  'service_error',
  'goodbye',
] as const;
export type PromptId = (typeof PROMPT_IDS)[number];

export type PromptParams = Readonly<Record<string, string | number>>;

export interface Prompt {
  readonly id: PromptId;
  readonly params?: PromptParams;
}

type Text = (p: PromptParams) => string;

const STAR = { zh: '*号键', en: 'star' };

/** 'YYYY-MM-DD' as the voice reads it. */
function spokenDate(date: unknown, lang: Lang): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(date));
  if (m === null) return String(date);
  if (lang === 'en') return `${m[1]}-${m[2]}-${m[3]}`;
  return `${m[1]}年${Number(m[2])}月${Number(m[3])}日`;
}

const ZH: Record<PromptId, Text> = {
  welcome: () => '您好，欢迎致电12333人力资源和社会保障服务热线。',
  main_menu: () => `社保卡服务请按2；人工服务请按0；重听请按${STAR.zh}。`,
  operator: () =>
    '人工服务时间为工作日上午9点至下午5点。本热线为模拟系统，没有人工座席，请到社保经办机构服务窗口办理。',
  card_menu: () => `修改社保卡密码请按2；返回上一级请按${STAR.zh}。`,
  card_menu_with_loss: () => `修改社保卡密码请按2；社保卡挂失请按3；返回上一级请按${STAR.zh}。`,
  ask_card_number: () => `请输入社会保障卡卡号，卡号中的字母不用输入，以#号键结束；返回上一级请按${STAR.zh}。`,
  ask_current_pin: () => '请输入社保卡当前密码，以#号键结束。',
  ask_id_number: () => `请输入持卡人公民身份号码，最后一位是X的请按${STAR.zh}代替，以#号键结束。`,
  ask_new_pin: () => '请输入六位数字新密码，以#号键结束。',
  ask_new_pin_again: () => '请再次输入新密码，以#号键结束。',
  invalid_key: () => '您的输入有误。',
  card_number_invalid: () => '卡号输入有误，卡号为8到9位数字，字母不用输入。',
  card_not_found: () => '未查到该卡号，请核对后重新输入。',
  pin_format: () => '密码应为六位数字。',
  id_invalid: () => '公民身份号码输入有误。',
  id_mismatch: () => '公民身份号码与卡号不符。',
  new_pin_initial: () => '新密码不能使用初始密码。',
  new_pin_same: () => '新密码不能与当前密码相同。',
  new_pin_mismatch: () => '两次输入的新密码不一致。',
  too_many_errors: () => '您的输入错误次数过多。',
  card_pin_locked: () => '您的社保卡密码已锁定，请携带社保卡和本人有效身份证件到社保经办机构服务窗口办理解锁。',
  card_not_usable: (p) =>
    `该卡目前不能办理密码修改（卡片状态：${stateZh(p['state'])}），请到社保经办机构服务窗口咨询。`,
  notice_pending: (p) => `您于${spokenDate(p['date'], 'zh')}提交的密码修改尚未生效，本次修改将取代它。`,
  notice_failed_pin: (p) =>
    `您于${spokenDate(p['date'], 'zh')}提交的密码修改未能生效：您提供的当前密码不正确，卡片密码还剩${p['tries']}次输入机会。`,
  notice_failed_locked: (p) =>
    `您于${spokenDate(p['date'], 'zh')}提交的密码修改未能生效：您提供的当前密码不正确，卡片密码已锁定。`,
  notice_failed: (p) =>
    `您于${spokenDate(p['date'], 'zh')}提交的密码修改未能生效，卡片未接受该修改，原密码仍然有效。如有疑问请到服务窗口咨询。`,
  notice_expired: (p) =>
    `您于${spokenDate(p['date'], 'zh')}提交的密码修改已过期：社保卡${p['days']}天内未在联网终端使用，修改未生效，原密码仍然有效。`,
  change_queued: (p) =>
    `密码修改已受理。新密码将在您下次于联网终端（如医院、药店的刷卡终端）使用社保卡时生效，在此之前原密码仍然有效。` +
    `本次修改有效期${p['days']}天，请在${spokenDate(p['until'], 'zh')}前使用社保卡。`,
  change_refused: () => '密码修改未能受理，请到社保经办机构服务窗口办理。',
  ask_loss_side: () => `挂失社保功能请按1；挂失金融功能请按2；返回上一级请按${STAR.zh}。`,
  ask_loss_confirm: (p) =>
    `您要挂失尾号为${p['last4']}的社保卡${p['side'] === 'bank' ? '金融功能' : '社保功能'}，确认请按1；返回上一级请按${STAR.zh}。`,
  loss_reported: () => '挂失已受理。补办新卡请携带本人有效身份证件到服务窗口办理。',
  loss_refused: () => '挂失未能受理，请拨打人工服务或到服务窗口办理。',
  service_error: () => '系统繁忙，请稍后再拨。',
  goodbye: () => '感谢您的来电，再见。',
};

const EN: Record<PromptId, Text> = {
  welcome: () => 'Welcome to 12333, the human resources and social security hotline.',
  main_menu: () =>
    `For social security card services, press 2. For an operator, press 0. To hear this again, press ${STAR.en}.`,
  operator: () =>
    'Operators answer on working days from 9 am to 5 pm. This simulated hotline has no operators; please go to a service window.',
  card_menu: () => `To change your card PIN, press 2. To go back, press ${STAR.en}.`,
  card_menu_with_loss: () =>
    `To change your card PIN, press 2. To report your card lost, press 3. To go back, press ${STAR.en}.`,
  ask_card_number: () =>
    `Enter your social security card number, leaving out its letter, then press hash. To go back, press ${STAR.en}.`,
  ask_current_pin: () => "Enter the card's current PIN, then press hash.",
  ask_id_number: () => `Enter the cardholder's citizen ID number, pressing ${STAR.en} for a final X, then press hash.`,
  ask_new_pin: () => 'Enter a new six-digit PIN, then press hash.',
  ask_new_pin_again: () => 'Enter the new PIN again, then press hash.',
  invalid_key: () => 'That is not a valid choice.',
  card_number_invalid: () => 'That card number is not valid: it has 8 or 9 digits; leave out the letter.',
  card_not_found: () => 'No card has that number. Please check it and enter it again.',
  pin_format: () => 'A PIN has six digits.',
  id_invalid: () => 'That citizen ID number is not valid.',
  id_mismatch: () => 'That citizen ID number does not match the card number.',
  new_pin_initial: () => 'The new PIN may not be the initial PIN.',
  new_pin_same: () => 'The new PIN must differ from the current PIN.',
  new_pin_mismatch: () => 'The two entries of the new PIN differ.',
  too_many_errors: () => 'There were too many wrong entries.',
  card_pin_locked: () =>
    "Your card's PIN is locked. Please bring the card and your ID document to a service window to unlock it.",
  card_not_usable: (p) =>
    `The PIN of this card cannot be changed now (card state: ${String(p['state']).replace(/_/g, ' ')}). Please ask at a service window.`,
  notice_pending: (p) =>
    `Your PIN change of ${spokenDate(p['date'], 'en')} has not reached your card yet; this change will replace it.`,
  notice_failed_pin: (p) =>
    `Your PIN change of ${spokenDate(p['date'], 'en')} was not applied: the current PIN you gave was wrong. The card's PIN has ${p['tries']} ${p['tries'] === 1 ? 'try' : 'tries'} left.`,
  notice_failed_locked: (p) =>
    `Your PIN change of ${spokenDate(p['date'], 'en')} was not applied: the current PIN you gave was wrong, and the card's PIN is now locked.`,
  notice_failed: (p) =>
    `Your PIN change of ${spokenDate(p['date'], 'en')} was not applied: the card refused it; your old PIN still works. Please ask at a service window if in doubt.`,
  notice_expired: (p) =>
    `Your PIN change of ${spokenDate(p['date'], 'en')} expired: the card was not used at an online terminal within ${p['days']} days. It was not applied; your old PIN still works.`,
  change_queued: (p) =>
    'Your PIN change has been accepted. The new PIN takes effect the next time the card is used at an online terminal ' +
    '(a hospital or pharmacy card terminal); until then your old PIN keeps working. ' +
    `The change is valid for ${p['days']} days: please use the card before ${spokenDate(p['until'], 'en')}.`,
  change_refused: () => 'Your PIN change could not be accepted. Please go to a service window.',
  ask_loss_side: () =>
    `To report the social security function lost, press 1. To report the bank function lost, press 2. To go back, press ${STAR.en}.`,
  ask_loss_confirm: (p) =>
    `You are reporting the ${p['side'] === 'bank' ? 'bank' : 'social security'} function of the card ending ${p['last4']} lost. To confirm, press 1. To go back, press ${STAR.en}.`,
  loss_reported: () =>
    'Your loss report has been accepted. For a new card, bring your ID document to a service window.',
  loss_refused: () => 'Your loss report could not be accepted. Please call an operator or go to a service window.',
  service_error: () => 'The system is busy. Please call again later.',
  goodbye: () => 'Thank you for calling. Goodbye.',
};

const STATES_ZH: Record<string, string> = {
  active: '正常',
  pin_locked: '密码锁定',
  lost_temporary: '临时挂失',
  lost_written: '书面挂失',
  replaced: '已补换',
  blocked: '已注销',
};

function stateZh(state: unknown): string {
  return STATES_ZH[String(state)] ?? String(state);
}

/** The words of `prompt` in `lang`. */
export function renderPrompt(prompt: Prompt, lang: Lang): string {
  return (lang === 'en' ? EN : ZH)[prompt.id](prompt.params ?? {});
}
