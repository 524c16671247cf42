// Simplified Chinese by default, English switchable. Each page module adds its own
// strings with addMessages, so a page and its words live together.
const messages = { zh: {}, en: {} };
const LANG_KEY = 'gridgov.lang';
let lang = localStorage.getItem(LANG_KEY) || 'zh';

export function addMessages(table) {
  for (const code of Object.keys(messages)) Object.assign(messages[code], table[code] || {});
}
export function currentLang() { return lang; }
export function setLang(code) {
  lang = code === 'en' ? 'en' : 'zh';
  localStorage.setItem(LANG_KEY, lang);
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
}
/** The text for key; `fallback` (default: the key itself) when no language has it.
 *  {name} placeholders are filled from vars. */
export function t(key, fallback = key, vars = {}) {
  let text = messages[lang][key] ?? messages.zh[key];
  if (text === undefined) return fallback;
  for (const [k, v] of Object.entries(vars)) text = text.replaceAll(`{${k}}`, String(v));
  return text;
}
export function fmtNumber(n, digits = 0) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  return Number(n).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en', { maximumFractionDigits: digits });
}
export function fmtPercent(ratio, digits = 1) {
  if (ratio === null || ratio === undefined) return '—';
  return `${fmtNumber(ratio * 100, digits)}%`;
}
export function fmtTime(iso) {
  if (!iso) return '—';
  return new Date(iso).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en', { hour12: false });
}

setLang(lang);
addMessages({
  zh: {
    'app.title': '网格化社会治理', 'app.portal': '一门户', 'app.lang': 'English', 'app.signout': '退出',
    'app.loading': '正在加载…', 'app.menu': '菜单', 'app.nav': '主导航', 'app.notfound': '没有这个页面',
    'app.forbidden': '您的角色无权查看此页面', 'app.retry': '重试', 'app.close': '关闭', 'app.save': '保存',
    'app.cancel': '取消', 'app.more': '加载更多', 'app.none': '暂无数据', 'app.export': '导出',
    'app.refresh': '刷新', 'app.offline': '离线：操作将在联网后发送', 'app.scope': '管辖范围',
    'error.network': '网络不通，请检查连接后重试', 'error.unexpected': '出现意外错误，请重试',
    'error.VALIDATION_FAILED': '填写的内容有误', 'error.INVALID_CREDENTIALS': '用户名或密码不正确',
    'error.UNAUTHORIZED': '请先登录', 'error.FORBIDDEN': '您的角色无权执行此操作',
    'error.OUT_OF_SCOPE': '不在您的管辖范围内', 'error.NOT_FOUND': '没有找到', 'error.SERVICE_UNAVAILABLE': '服务暂时不可用，请稍后再试',
    'error.OVERLOADED': '系统繁忙，请稍后再试', 'error.RATE_LIMITED': '操作太频繁，请稍后再试',
    'error.ACCOUNT_LOCKED': '账号已被临时锁定，请稍后再试', 'error.INVALID_TRANSITION': '工单当前状态不允许此操作',
    'error.CONCURRENT_CHANGE': '数据已被他人修改，请刷新后重试', 'error.PASSWORD_CHANGE_REQUIRED': '请先修改密码',
  },
  en: {
    'app.title': 'Grid-based governance', 'app.portal': 'Portal', 'app.lang': '中文', 'app.signout': 'Sign out',
    'app.loading': 'Loading…', 'app.menu': 'Menu', 'app.nav': 'Main navigation', 'app.notfound': 'No such page',
    'app.forbidden': 'Your role may not see this page', 'app.retry': 'Retry', 'app.close': 'Close', 'app.save': 'Save',
    'app.cancel': 'Cancel', 'app.more': 'Load more', 'app.none': 'Nothing yet', 'app.export': 'Export',
    'app.refresh': 'Refresh', 'app.offline': 'Offline: actions are sent when the network is back', 'app.scope': 'Scope',
    'error.network': 'No network: check the connection and try again', 'error.unexpected': 'Something unexpected happened; try again',
    'error.VALIDATION_FAILED': 'Some fields are not right', 'error.INVALID_CREDENTIALS': 'Wrong user name or password',
    'error.UNAUTHORIZED': 'Please sign in', 'error.FORBIDDEN': 'Your role may not do this',
    'error.OUT_OF_SCOPE': 'Outside your scope', 'error.NOT_FOUND': 'Not found', 'error.SERVICE_UNAVAILABLE': 'A service is down for now; try again soon',
    'error.OVERLOADED': 'The system is busy; try again soon', 'error.RATE_LIMITED': 'Too many requests; wait a moment',
    'error.ACCOUNT_LOCKED': 'The account is locked for a while', 'error.INVALID_TRANSITION': 'The ticket\'s state does not allow this',
    'error.CONCURRENT_CHANGE': 'Someone changed this meanwhile: refresh and try again', 'error.PASSWORD_CHANGE_REQUIRED': 'Change your password first',
  },
});
