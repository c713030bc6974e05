import type { Channel } from '../context.js';
import type { CardSideState } from '../states.js';

/*
 * What the portal calls things: Chinese first (the cardholders read Chinese), English beside.
 * A name the table does not know (an operation added later) is shown as it is recorded.
 */

export interface Label {
  zh: string;
  en: string;
}

const STATES: Record<CardSideState, Label> = {
  active: { zh: '正常', en: 'Active' },
  inactive: { zh: '未激活', en: 'Not activated' },
  pin_locked: { zh: '密码锁定', en: 'PIN locked' },
  lost_temporary: { zh: '临时挂失', en: 'Reported lost (temporary)' },
  lost_written: { zh: '书面挂失', en: 'Reported lost (written)' },
  replaced: { zh: '已补换', en: 'Replaced' },
  blocked: { zh: '已停用', en: 'Blocked' },
};

const OPERATIONS: Record<string, Label> = {
  issue_card: { zh: '发卡', en: 'Card issued' },
  pin_reset: { zh: '社保密码重置', en: 'PIN reset' },
  pin_unlock: { zh: '社保密码解锁', en: 'PIN unlocked' },
  pin_locked: { zh: '社保密码锁定', en: 'PIN locked' },
  pin_changed: { zh: '修改社保密码', en: 'PIN changed' },
  block_card: { zh: '停用', en: 'Blocked' },
  correct_personalization: { zh: '信息更正', en: 'Data corrected' },
  queue_script: { zh: '待写卡指令', en: 'Card update queued' },
  script_applied: { zh: '写卡完成', en: 'Card update applied' },
  expire_scripts: { zh: '指令过期', en: 'Card updates expired' },
  query_password_sign_in: { zh: '网上登录', en: 'Online sign-in' },
  query_password_change: { zh: '修改查询密码', en: 'Query password changed' },
  query_password_reset: { zh: '重置查询密码', en: 'Query password reset' },
  report_loss: { zh: '挂失', en: 'Loss reported' },
};

const CHANNELS: Record<Channel, Label> = {
  counter: { zh: '柜面', en: 'Counter' },
  proxy: { zh: '代办', en: 'Proxy' },
  ivr: { zh: '自助语音', en: 'Phone menu' },
  operator: { zh: '人工电话', en: 'Phone operator' },
  online: { zh: '网上', en: 'Online' },
  terminal: { zh: '终端', en: 'Terminal' },
  cli: { zh: '后台', en: 'Back office' },
  batch: { zh: '批处理', en: 'Batch' },
};

const REASONS: Record<string, Label> = {
  QUERY_PASSWORD_INCORRECT: { zh: '密码错误', en: 'Wrong password' },
  QUERY_PASSWORD_LOCKED: { zh: '密码已锁定', en: 'Password locked' },
  IDENTITY_MISMATCH: { zh: '身份信息不符', en: 'Identity did not match' },
  QUERY_PASSWORD_RESET_LIMIT: { zh: '重置次数过多', en: 'Too many resets' },
  ID_MISMATCH: { zh: '证件不符', en: 'ID did not match' },
  CARD_STATE: { zh: '卡状态不允许', en: 'Not allowed in this card state' },
  ROLE_NOT_ALLOWED: { zh: '渠道不允许', en: 'Not allowed here' },
  CARD_SIDE_FAILED: { zh: '写卡失败', en: 'Card step failed' },
};

export function stateLabel(state: CardSideState): Label {
  return STATES[state] ?? { zh: state, en: state };
}

export function operationLabel(operation: string): Label {
  return OPERATIONS[operation] ?? { zh: operation, en: operation };
}

export function channelLabel(channel: Channel): Label {
  return CHANNELS[channel] ?? { zh: channel, en: channel };
}

export function reasonLabel(code: string): Label {
  return REASONS[code] ?? { zh: '未通过', en: code };
}
