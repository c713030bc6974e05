import { describe as group, expect, it } from 'vitest';
import { PROMPT_IDS, renderPrompt, type PromptId, type PromptParams } from '../../../src/office/index.js';

/*
 * The words of every prompt of the voice menu, in Chinese as the hotline speaks it and in English,
 * with the parameters the menu gives them: dates as the voice reads them, day counts, tries left,
 * the card's last digits and which side of it is reported lost.
 */

interface Words {
  params?: PromptParams;
  zh: string;
  en: string;
}

const WORDS: Record<PromptId, Words> = {
  welcome: {
    zh: '您好，欢迎致电12333人力资源和社会保障服务热线。',
    en: 'Welcome to 12333, the human resources and social security hotline.',
  },
  main_menu: {
    zh: '社保卡服务请按2；人工服务请按0；重听请按*号键。',
    en: 'For social security card services, press 2. For an operator, press 0. To hear this again, press star.',
  },
  operator: {
    zh: '人工服务时间为工作日上午9点至下午5点。本热线为模拟系统，没有人工座席，请到社保经办机构服务窗口办理。',
    en: 'Operators answer on working days from 9 am to 5 pm. This simulated hotline has no operators; please go to a service window.',
  },
  card_menu: {
    zh: '修改社保卡密码请按2；返回上一级请按*号键。',
    en: 'To change your card PIN, press 2. To go back, press star.',
  },
  card_menu_with_loss: {
    zh: '修改社保卡密码请按2；社保卡挂失请按3；返回上一级请按*号键。',
    en: 'To change your card PIN, press 2. To report your card lost, press 3. To go back, press star.',
  },
  ask_card_number: {
    zh: '请输入社会保障卡卡号，卡号中的字母不用输入，以#号键结束；返回上一级请按*号键。',
    en: 'Enter your social security card number, leaving out its letter, then press hash. To go back, press star.',
  },
  ask_current_pin: { zh: '请输入社保卡当前密码，以#号键结束。', en: "Enter the card's current PIN, then press hash." },
  ask_id_number: {
    zh: '请输入持卡人公民身份号码，最后一位是X的请按*号键代替，以#号键结束。',
    en: "Enter the cardholder's citizen ID number, pressing star for a final X, then press hash.",
  },
  ask_new_pin: { zh: '请输入六位数字新密码，以#号键结束。', en: 'Enter a new six-digit PIN, then press hash.' },
  ask_new_pin_again: { zh: '请再次输入新密码，以#号键结束。', en: 'Enter the new PIN again, then press hash.' },
  invalid_key: { zh: '您的输入有误。', en: 'That is not a valid choice.' },
  card_number_invalid: {
    zh: '卡号输入有误，卡号为8到9位数字，字母不用输入。',
    en: 'That card number is not valid: it has 8 or 9 digits; leave out the letter.',
  },
  card_not_found: {
    zh: '未查到该卡号，请核对后重新输入。',
    en: 'No card has that number. Please check it and enter it again.',
  },
  pin_format: { zh: '密码应为六位数字。', en: 'A PIN has six digits.' },
  id_invalid: { zh: '公民身份号码输入有误。', en: 'That citizen ID number is not valid.' },
  id_mismatch: { zh: '公民身份号码与卡号不符。', en: 'That citizen ID number does not match the card number.' },
  new_pin_initial: { zh: '新密码不能使用初始密码。', en: 'The new PIN may not be the initial PIN.' },
  new_pin_same: { zh: '新密码不能与当前密码相同。', en: 'The new PIN must differ from the current PIN.' },
  new_pin_mismatch: { zh: '两次输入的新密码不一致。', en: 'The two entries of the new PIN differ.' },
  too_many_errors: { zh: '您的输入错误次数过多。', en: 'There were too many wrong entries.' },
  card_pin_locked: {
    zh: '您的社保卡密码已锁定，请携带社保卡和本人有效身份证件到社保经办机构服务窗口办理解锁。',
    en: "Your card's PIN is locked. Please bring the card and your ID document to a service window to unlock it.",
  },
  card_not_usable: {
    params: { state: 'lost_temporary' },
    zh: '该卡目前不能办理密码修改（卡片状态：临时挂失），请到社保经办机构服务窗口咨询。',
    en: 'The PIN of this card cannot be changed now (card state: lost temporary). Please ask at a service window.',
  },
  notice_pending: {
    params: { date: '2025-03-04' },
    zh: '您于2025年3月4日提交的密码修改尚未生效，本次修改将取代它。',
    en: 'Your PIN change of 2025-03-04 has not reached your card yet; this change will replace it.',
  },
  notice_failed_pin: {
    params: { date: '2025-02-03', tries: 2 },
    zh: '您于2025年2月3日提交的密码修改未能生效：您提供的当前密码不正确，卡片密码还剩2次输入机会。',
    en: "Your PIN change of 2025-02-03 was not applied: the current PIN you gave was wrong. The card's PIN has 2 tries left.",
  },
  notice_failed_locked: {
    params: { date: '2025-02-03' },
    zh: '您于2025年2月3日提交的密码修改未能生效：您提供的当前密码不正确，卡片密码已锁定。',
    en: "Your PIN change of 2025-02-03 was not applied: the current PIN you gave was wrong, and the card's PIN is now locked.",
  },
  notice_failed: {
    params: { date: '2025-01-12' },
    zh: '您于2025年1月12日提交的密码修改未能生效，卡片未接受该修改，原密码仍然有效。如有疑问请到服务窗口咨询。',
    en: 'Your PIN change of 2025-01-12 was not applied: the card refused it; your old PIN still works. Please ask at a service window if in doubt.',
  },
  notice_expired: {
    params: { date: '2025-01-02', days: 30 },
    zh: '您于2025年1月2日提交的密码修改已过期：社保卡30天内未在联网终端使用，修改未生效，原密码仍然有效。',
    en: 'Your PIN change of 2025-01-02 expired: the card was not used at an online terminal within 30 days. It was not applied; your old PIN still works.',
  },
  change_queued: {
    params: { days: 30, until: '2025-04-01' },
    zh:
      '密码修改已受理。新密码将在您下次于联网终端（如医院、药店的刷卡终端）使用社保卡时生效，在此之前原密码仍然有效。' +
      '本次修改有效期30天，请在2025年4月1日前使用社保卡。',
    en:
      'Your PIN change has been accepted. The new PIN takes effect the next time the card is used at an online terminal ' +
      '(a hospital or pharmacy card terminal); until then your old PIN keeps working. ' +
      'The change is valid for 30 days: please use the card before 2025-04-01.',
  },
  change_refused: {
    zh: '密码修改未能受理，请到社保经办机构服务窗口办理。',
    en: 'Your PIN change could not be accepted. Please go to a service window.',
  },
  ask_loss_side: {
    zh: '挂失社保功能请按1；挂失金融功能请按2；返回上一级请按*号键。',
    en: 'To report the social security function lost, press 1. To report the bank function lost, press 2. To go back, press star.',
  },
  ask_loss_confirm: {
    params: { last4: '0001', side: 'bank' },
    zh: '您要挂失尾号为0001的社保卡金融功能，确认请按1；返回上一级请按*号键。',
    en: 'You are reporting the bank function of the card ending 0001 lost. To confirm, press 1. To go back, press star.',
  },
  loss_reported: {
    zh: '挂失已受理。补办新卡请携带本人有效身份证件到服务窗口办理。',
    en: 'Your loss report has been accepted. For a new card, bring your ID document to a service window.',
  },
  loss_refused: {
    zh: '挂失未能受理，请拨打人工服务或到服务窗口办理。',
    en: 'Your loss report could not be accepted. Please call an operator or go to a service window.',
  },
  service_error: { zh: '系统繁忙，请稍后再拨。', en: 'The system is busy. Please call again later.' },
  goodbye: { zh: '感谢您的来电，再见。', en: 'Thank you for calling. Goodbye.' },
};

const rendered = (id: PromptId, params: PromptParams | undefined, lang: 'zh' | 'en'): string =>
  renderPrompt(params === undefined ? { id } : { id, params }, lang);

group('hotline prompts', () => {
  it.each(PROMPT_IDS.flatMap((id) => (['zh', 'en'] as const).map((lang) => [id, lang] as const)))(
    '%s in %s',
    (id, lang) => {
      expect(rendered(id, WORDS[id].params, lang)).toBe(WORDS[id][lang]);
    },
  );

  it.each<[PromptId, PromptParams, 'zh' | 'en', string]>([
    // The social security side of the card, and one try left (not "tries").
    [
      'ask_loss_confirm',
      { last4: '4321', side: 'ssc' },
      'zh',
      '您要挂失尾号为4321的社保卡社保功能，确认请按1；返回上一级请按*号键。',
    ],
    [
      'ask_loss_confirm',
      { last4: '4321', side: 'ssc' },
      'en',
      'You are reporting the social security function of the card ending 4321 lost. To confirm, press 1. To go back, press star.',
    ],
    [
      'notice_failed_pin',
      { date: '2025-02-03', tries: 1 },
      'en',
      "Your PIN change of 2025-02-03 was not applied: the current PIN you gave was wrong. The card's PIN has 1 try left.",
    ],
    // A state the Chinese words do not name is read as it is.
    [
      'card_not_usable',
      { state: 'frozen' },
      'zh',
      '该卡目前不能办理密码修改（卡片状态：frozen），请到社保经办机构服务窗口咨询。',
    ],
    // A date that is not exactly YYYY-MM-DD is read as it is, in either language.
    [
      'notice_pending',
      { date: '2025-03-04T08:00' },
      'zh',
      '您于2025-03-04T08:00提交的密码修改尚未生效，本次修改将取代它。',
    ],
    [
      'notice_failed',
      { date: 'on 2025-01-12' },
      'en',
      'Your PIN change of on 2025-01-12 was not applied: the card refused it; your old PIN still works. Please ask at a service window if in doubt.',
    ],
  ])('%s with %j in %s', (id, params, lang, words) => {
    expect(rendered(id, params, lang)).toBe(words);
  });
});
