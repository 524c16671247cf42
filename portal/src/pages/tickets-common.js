// What the ticket pages share: the loop's words, the SLA clock as the queue shows it,
// the catalogue (fetched once), and downloads of the API's exports with the bearer token.
import { ApiError, explain, get } from '../api.js';
import { addMessages, currentLang, t } from '../i18n.js';
import { h } from '../ui.js';

export const STATES = ['reported', 'accepted', 'handling', 'resolved', 'feedback_given', 'rated', 'closed', 'merged'];
export const OPEN_STATES = ['reported', 'accepted', 'handling'];
export const GRADES = ['daily', 'urgent', 'major'];
export const LEVELS = ['grid', 'community', 'town', 'department'];
export const STATED_OUTCOMES = ['fixed', 'not_our_responsibility', 'cannot_fix'];

addMessages({
  zh: {
    'state.reported': '已上报', 'state.accepted': '已受理', 'state.handling': '处置中', 'state.resolved': '已办结',
    'state.feedback_given': '已反馈', 'state.rated': '已评价', 'state.closed': '已关闭', 'state.merged': '已合并',
    'level.grid': '网格', 'level.community': '社区', 'level.town': '镇街', 'level.department': '职能部门',
    'grade.daily': '一般', 'grade.urgent': '紧急', 'grade.major': '重大',
    'source.grid_patrol': '网格巡查', 'source.resident_report': '居民上报', 'source.hotline_12345': '12345热线',
    'source.department_referral': '部门转办', 'source.media': '媒体曝光', 'source.qr_card': '网格码上报',
    'outcome.fixed': '已解决', 'outcome.not_our_responsibility': '不属本单位职责', 'outcome.cannot_fix': '暂无法解决',
    'outcome.duplicate': '重复件', 'outcome.withdrawn': '已撤回',
    'action.accept': '受理', 'action.handle': '开始处置', 'action.escalate': '上报上一级', 'action.whistle': '吹哨（派发部门）',
    'action.sign': '签收', 'action.contact': '联系群众', 'action.report_back': '报到反馈', 'action.verify': '核查办结',
    'action.meeting': '会议处置', 'action.resolve': '办结', 'action.suspend': '挂起', 'action.resume': '解挂',
    'action.recategorise': '改类', 'action.withdraw': '撤回', 'action.merge': '合并为重复件', 'action.feedback': '反馈群众',
    'action.rate': '评价', 'action.close': '关闭', 'action.reopen': '重新办理', 'action.report': '上报',
    'action.merged_in': '并入重复件', 'action.sla_breach': '超时', 'action.rehome': '网格调整',
    'clock.accept': '受理', 'clock.respond': '响应', 'clock.resolve': '办结',
    'clock.left': '{clock}剩余 {time}', 'clock.overdue': '{clock}已超时 {time}', 'clock.paused': '已挂起，计时暂停',
    'clock.stopped': '计时结束', 'clock.none': '无时限',
    'dur.d': '{n}天', 'dur.h': '{n}小时', 'dur.m': '{n}分钟',
    'field.note': '说明', 'field.outcome': '办理结果', 'field.satisfaction': '满意度', 'field.departments': '派发部门',
    'field.lead_department': '牵头部门', 'field.into': '合并到工单', 'field.category': '事件类别', 'field.grade': '紧急程度',
    'field.description': '问题描述', 'field.grid_code': '所在网格', 'field.location': '位置', 'field.version': '版本',
    'field.action': '操作', 'field.reporter_name': '上报人姓名', 'field.reporter_phone': '联系电话', 'field.from': '开始日期',
    'field.to': '结束日期', 'field.root': '范围',
    'error.ACTION_NOT_ALLOWED': '工单当前状态不允许此操作', 'error.NOT_AUTHORISED_FOR_ACTION': '您的角色不能对该工单执行此操作',
    'error.INVALID_ACTION': '操作内容不完整或有误', 'error.VERSION_CONFLICT': '工单刚被他人处理过，请刷新后重试',
    'error.TICKET_MERGED': '该工单已合并到另一工单，请在原工单上操作', 'error.WHISTLE_LEVEL_NOT_ALLOWED': '本层级不能吹哨，请先上报上一级',
    'error.UNKNOWN_DEPARTMENT': '没有这个部门', 'error.UNKNOWN_CATEGORY': '没有这个事件类别', 'error.UNKNOWN_GRID': '没有这个网格',
    'error.TICKET_NOT_FOUND': '没有找到这个工单', 'error.POINT_OUTSIDE_GRIDS': '该位置不在任何网格内',
    'error.REOPEN_WINDOW_PASSED': '已超过可重新办理的期限', 'error.EXPORT_TOO_LARGE': '导出数量过多，请缩短时间段或缩小范围',
    'error.IDEMPOTENCY_KEY_REUSED': '重复提交，请刷新后重试', 'error.SOURCE_NOT_YOURS': '上报来源与您的身份不符',
    'error.NO_PERSON': '您的账号未关联网格员档案',
    'tk.field_named': '请检查：{field}', 'tk.details': '详情',
    'role.admin': '系统管理员', 'role.district_officer': '区级指挥中心', 'role.town_leader': '镇街领导',
    'role.community_officer': '社区工作人员', 'role.grid_chief': '网格长', 'role.grid_worker': '网格员',
    'role.department': '职能部门', 'role.resident': '居民', 'role.auditor': '审计监督员', 'role.system': '系统',
  },
  en: {
    'state.reported': 'Reported', 'state.accepted': 'Accepted', 'state.handling': 'Handling', 'state.resolved': 'Resolved',
    'state.feedback_given': 'Feedback given', 'state.rated': 'Rated', 'state.closed': 'Closed', 'state.merged': 'Merged',
    'level.grid': 'Grid', 'level.community': 'Community', 'level.town': 'Town / street', 'level.department': 'Department',
    'grade.daily': 'Daily', 'grade.urgent': 'Urgent', 'grade.major': 'Major',
    'source.grid_patrol': 'Grid patrol', 'source.resident_report': 'Resident report', 'source.hotline_12345': '12345 hotline',
    'source.department_referral': 'Department referral', 'source.media': 'Media', 'source.qr_card': 'Grid card',
    'outcome.fixed': 'Fixed', 'outcome.not_our_responsibility': 'Not our responsibility', 'outcome.cannot_fix': 'Cannot be fixed',
    'outcome.duplicate': 'Duplicate', 'outcome.withdrawn': 'Withdrawn',
    'action.accept': 'Accept', 'action.handle': 'Start handling', 'action.escalate': 'Escalate', 'action.whistle': 'Whistle (dispatch departments)',
    'action.sign': 'Sign for it', 'action.contact': 'Contact the reporter', 'action.report_back': 'Report back', 'action.verify': 'Verify and resolve',
    'action.meeting': 'Meeting disposal', 'action.resolve': 'Resolve', 'action.suspend': 'Suspend', 'action.resume': 'Resume',
    'action.recategorise': 'Recategorise', 'action.withdraw': 'Withdraw', 'action.merge': 'Merge as duplicate', 'action.feedback': 'Give feedback',
    'action.rate': 'Rate', 'action.close': 'Close', 'action.reopen': 'Reopen', 'action.report': 'Reported',
    'action.merged_in': 'Duplicate merged in', 'action.sla_breach': 'Deadline missed', 'action.rehome': 'Grid changed',
    'clock.accept': 'Accept', 'clock.respond': 'Respond', 'clock.resolve': 'Resolve',
    'clock.left': '{clock}: {time} left', 'clock.overdue': '{clock}: overdue by {time}', 'clock.paused': 'Suspended: clock paused',
    'clock.stopped': 'Clock stopped', 'clock.none': 'No deadline',
    'dur.d': '{n} d', 'dur.h': '{n} h', 'dur.m': '{n} min',
    'field.note': 'Note', 'field.outcome': 'Outcome', 'field.satisfaction': 'Satisfaction', 'field.departments': 'Departments',
    'field.lead_department': 'Lead department', 'field.into': 'Merge into ticket', 'field.category': 'Category', 'field.grade': 'Grade',
    'field.description': 'Description', 'field.grid_code': 'Grid', 'field.location': 'Position', 'field.version': 'Version',
    'field.action': 'Action', 'field.reporter_name': 'Reporter name', 'field.reporter_phone': 'Phone', 'field.from': 'From',
    'field.to': 'To', 'field.root': 'Scope',
    'error.ACTION_NOT_ALLOWED': 'The ticket\'s state does not allow this now', 'error.NOT_AUTHORISED_FOR_ACTION': 'Your role may not do this to this ticket',
    'error.INVALID_ACTION': 'The action is missing something or has a wrong value', 'error.VERSION_CONFLICT': 'Someone acted on the ticket meanwhile: reload and try again',
    'error.TICKET_MERGED': 'This ticket was merged into another one: act on that one', 'error.WHISTLE_LEVEL_NOT_ALLOWED': 'No whistle at this level: escalate first',
    'error.UNKNOWN_DEPARTMENT': 'No such department', 'error.UNKNOWN_CATEGORY': 'No such category', 'error.UNKNOWN_GRID': 'No such grid',
    'error.TICKET_NOT_FOUND': 'No such ticket', 'error.POINT_OUTSIDE_GRIDS': 'That position is outside every grid',
    'error.REOPEN_WINDOW_PASSED': 'The time to reopen has passed', 'error.EXPORT_TOO_LARGE': 'Too many to export: fewer days or a smaller scope',
    'error.IDEMPOTENCY_KEY_REUSED': 'Sent twice: reload and try again', 'error.SOURCE_NOT_YOURS': 'That source does not match who you are',
    'error.NO_PERSON': 'Your account is not linked to a staff record',
    'tk.field_named': 'Check: {field}', 'tk.details': 'Details',
    'role.admin': 'administrator', 'role.district_officer': 'district command centre', 'role.town_leader': 'town leader',
    'role.community_officer': 'community officer', 'role.grid_chief': 'grid chief', 'role.grid_worker': 'grid worker',
    'role.department': 'department', 'role.resident': 'resident', 'role.auditor': 'auditor', 'role.system': 'system',
  },
});

export const stateLabel = (s) => t(`state.${s}`, s || '—');
export const levelLabel = (l) => (l ? t(`level.${l}`, l) : '—');
export const gradeLabel = (g) => t(`grade.${g}`, g || '—');
export const actionLabel = (a) => t(`action.${a}`, a);
export const outcomeLabel = (o) => (o ? t(`outcome.${o}`, o) : '—');
export const sourceLabel = (s) => t(`source.${s}`, s || '—');

/** An error in plain words, naming the field the API points at (`details.field` or `fields`). */
export function explainAction(err) {
  const text = explain(err);
  if (!(err instanceof ApiError)) return { text, detail: null, field: null };
  const named = err.details && typeof err.details.field === 'string' ? err.details.field : null;
  const extra = named && !(named in err.fields) ? t('tk.field_named', undefined, { field: t(`field.${named}`, named) }) : null;
  const detail = err.message && err.message !== text ? err.message : null;
  return { text: extra ? `${text} · ${extra}` : text, detail, field: named || Object.keys(err.fields)[0] || null };
}

// --- the SLA clock --------------------------------------------------------------------

const RUNNING = [['accept', 'accept_due', ['reported']], ['respond', 'respond_due', ['reported', 'accepted']],
  ['resolve', 'resolve_due', OPEN_STATES]];
const HOUR = 3600e3;

/** The clock the queue sorts by: the nearest running deadline (the tickets service's
 *  own definition, tickets/clocks.py). {kind: overdue|soon|ok|paused|stopped|none, ms, clock, due} */
export function clockOf(ticket, now = Date.now()) {
  if (!OPEN_STATES.includes(ticket.status)) return { kind: 'stopped', ms: Infinity };
  if (ticket.suspended) return { kind: 'paused', ms: Infinity };
  let best = null;
  for (const [clock, key, states] of RUNNING) {
    if (!states.includes(ticket.status) || !ticket[key]) continue;
    const due = Date.parse(ticket[key]);
    if (!best || due < best.due) best = { clock, due };
  }
  if (!best) return { kind: 'none', ms: Infinity };
  const ms = best.due - now;
  const soon = ticket.grade === 'daily' ? 2 * HOUR : HOUR;
  return { kind: ms < 0 ? 'overdue' : ms < soon ? 'soon' : 'ok', ms, clock: best.clock, due: best.due };
}

export function duration(ms) {
  const minutes = Math.max(1, Math.round(Math.abs(ms) / 60e3));
  const d = Math.floor(minutes / 1440); const hh = Math.floor((minutes % 1440) / 60); const mm = minutes % 60;
  const parts = [];
  if (d) parts.push(t('dur.d', undefined, { n: d }));
  if (hh) parts.push(t('dur.h', undefined, { n: hh }));
  if (!d && mm) parts.push(t('dur.m', undefined, { n: mm }));
  return parts.join(currentLang() === 'zh' ? '' : ' ');
}

export function clockText(c) {
  if (c.kind === 'stopped') return t('clock.stopped');
  if (c.kind === 'paused') return t('clock.paused');
  if (c.kind === 'none') return t('clock.none');
  const clock = t(`clock.${c.clock}`);
  return t(c.kind === 'overdue' ? 'clock.overdue' : 'clock.left', undefined, { clock, time: duration(c.ms) });
}

const CLOCK_BADGE = { overdue: 'bad', soon: 'warn', ok: 'ok', paused: '', stopped: '', none: '' };
const CLOCK_MARK = { overdue: '▲ ', soon: '● ', ok: '○ ', paused: '‖ ', stopped: '', none: '' };

/** A badge: colour AND words (and a mark), so colour is never the only signal. */
export function clockBadge(c) {
  return h(`span.badge.clock.${CLOCK_BADGE[c.kind] || 'plain'}`, { dataset: { clock: c.kind } },
    h('span', { 'aria-hidden': 'true' }, CLOCK_MARK[c.kind]), clockText(c));
}

// --- the catalogue ----------------------------------------------------------------------

let catalogue = null;
/** {code: category} from GET /tickets/categories, asked once per page load. */
export async function categories() {
  if (!catalogue) {
    catalogue = get('/tickets/categories').then((answer) => Object.fromEntries(answer.items.map((c) => [c.code, c])))
      .catch((err) => { catalogue = null; throw err; });
  }
  return catalogue;
}
export const categoryName = (cats, code) => (cats && cats[code] ? cats[code].name : code);

let timeFormat = null; let timeFormatLang = null;
/** A short time (month, day, hour, minute) for the queue, with one formatter kept per
 *  language: fmtTime's toLocaleString builds one per call,
 *  a quarter of a millisecond that a 500-row queue pays 500 times. */
export function fastTime(iso) {
  if (!iso) return '—';
  if (timeFormatLang !== currentLang()) {
    timeFormatLang = currentLang();
    timeFormat = new Intl.DateTimeFormat(timeFormatLang === 'zh' ? 'zh-CN' : 'en', {
      month: 'numeric', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false });
  }
  return timeFormat.format(new Date(iso));
}

/** The day in Asia/Shanghai (YYYY-MM-DD) of a moment. */
export function shanghaiDay(ms = Date.now()) {
  return new Date(ms + 8 * HOUR).toISOString().slice(0, 10);
}
