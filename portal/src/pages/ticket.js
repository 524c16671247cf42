// One ticket: its details and clocks, its trail with the tamper check, and the steps the
// API says this user may take (your_actions), each with the fields it needs.
import { get, post } from '../api.js';
import { grid } from '../griddata.js';
import { addMessages, fmtTime, t } from '../i18n.js';
import { register } from '../router.js';
import { clear, errorBox, field, h, toast } from '../ui.js';
import {
  GRADES, STATED_OUTCOMES, actionLabel, categories, categoryName, clockBadge, clockOf, explainAction, gradeLabel,
  levelLabel, outcomeLabel, sourceLabel, stateLabel,
} from './tickets-common.js';

addMessages({
  zh: {
    'ticket.title': '工单', 'ticket.back': '返回工单队列', 'ticket.details': '基本信息', 'ticket.state': '状态',
    'ticket.level': '所在层级', 'ticket.grade': '紧急程度', 'ticket.category': '类别', 'ticket.source': '来源',
    'ticket.grid': '网格', 'ticket.reported': '上报时间', 'ticket.clock': '时限', 'ticket.deadlines': '各项时限',
    'ticket.accept_due': '受理时限', 'ticket.respond_due': '响应时限', 'ticket.resolve_due': '办结时限',
    'ticket.outcome': '办理结果', 'ticket.satisfaction': '满意度', 'ticket.lead': '牵头部门', 'ticket.reporter': '上报人',
    'ticket.anonymous': '匿名', 'ticket.description': '问题描述', 'ticket.version': '版本',
    'ticket.dispatches': '派发部门（吹哨报到）', 'ticket.dispatch.department': '部门', 'ticket.dispatch.lead': '牵头',
    'ticket.dispatch.sign': '签收', 'ticket.dispatch.contact': '联系', 'ticket.dispatch.attend': '报到',
    'ticket.dispatch.report': '反馈内容', 'ticket.yes': '是', 'ticket.no': '否', 'ticket.due': '时限 {due}',
    'ticket.done_at': '完成于 {at}', 'ticket.duplicate_of': '疑似重复：', 'ticket.original': '已并入工单',
    'ticket.actions': '可以执行的操作', 'ticket.no_actions': '您当前不能对该工单执行操作',
    'ticket.trail': '办理轨迹', 'ticket.verify': '防篡改校验', 'ticket.intact': '✔ 轨迹完整，未被篡改',
    'ticket.broken': '✘ 校验不通过：轨迹或工单被改动过', 'ticket.witness_ok': '评分服务见证的轨迹一致（至第 {seq} 步）',
    'ticket.witness_off': '未能与评分服务见证比对：{reason}', 'ticket.witness_missing': '评分服务尚无该轨迹的见证记录',
    'ticket.problem': '第 {seq} 步：{problem}', 'ticket.fields': '（被改字段：{fields}）', 'ticket.by': '{who}',
    'ticket.submit': '确认{action}', 'ticket.cancel': '取消', 'ticket.acted': '已{action}',
    'ticket.note_optional': '说明（可选）', 'ticket.note_required': '说明（必填）', 'ticket.note_why': '未解决时必须说明原因',
    'ticket.rate_scale': '1 = 很不满意，5 = 很满意', 'ticket.departments_hint': '至少选一个部门，并指定牵头部门',
    'ticket.into_hint': '输入原工单的编号（如 20261123-00001）', 'ticket.step': '第 {seq} 步',
    'ticket.responsible': '责任网格员', 'ticket.suspended': '已挂起', 'ticket.open_other': '打开那个工单',
    'post.full_time_worker': '专职网格员', 'post.part_time_worker': '兼职网格员', 'post.grid_chief': '网格长',
    'post.general_grid_chief': '总网格长',
  },
  en: {
    'ticket.title': 'Ticket', 'ticket.back': 'Back to the queue', 'ticket.details': 'Details', 'ticket.state': 'State',
    'ticket.level': 'Level', 'ticket.grade': 'Grade', 'ticket.category': 'Category', 'ticket.source': 'Source',
    'ticket.grid': 'Grid', 'ticket.reported': 'Reported', 'ticket.clock': 'Time left', 'ticket.deadlines': 'Deadlines',
    'ticket.accept_due': 'Accept by', 'ticket.respond_due': 'Respond by', 'ticket.resolve_due': 'Resolve by',
    'ticket.outcome': 'Outcome', 'ticket.satisfaction': 'Satisfaction', 'ticket.lead': 'Lead department', 'ticket.reporter': 'Reporter',
    'ticket.anonymous': 'anonymous', 'ticket.description': 'Description', 'ticket.version': 'Version',
    'ticket.dispatches': 'Departments summoned (whistle)', 'ticket.dispatch.department': 'Department', 'ticket.dispatch.lead': 'Lead',
    'ticket.dispatch.sign': 'Signed', 'ticket.dispatch.contact': 'Contacted', 'ticket.dispatch.attend': 'Reported back',
    'ticket.dispatch.report': 'Report', 'ticket.yes': 'yes', 'ticket.no': 'no', 'ticket.due': 'due {due}',
    'ticket.done_at': 'done {at}', 'ticket.duplicate_of': 'Likely duplicate of', 'ticket.original': 'Merged into',
    'ticket.actions': 'What you can do', 'ticket.no_actions': 'You cannot act on this ticket now',
    'ticket.trail': 'Trail', 'ticket.verify': 'Tamper check', 'ticket.intact': '✔ The trail holds: nothing was tampered with',
    'ticket.broken': '✘ The check fails: the trail or the ticket was changed', 'ticket.witness_ok': 'Matches the trail scoring witnessed (to step {seq})',
    'ticket.witness_off': 'Not compared with the witness: {reason}', 'ticket.witness_missing': 'Scoring holds no witness of this trail yet',
    'ticket.problem': 'Step {seq}: {problem}', 'ticket.fields': ' (fields changed: {fields})', 'ticket.by': '{who}',
    'ticket.submit': 'Confirm: {action}', 'ticket.cancel': 'Cancel', 'ticket.acted': 'Done: {action}',
    'ticket.note_optional': 'Note (optional)', 'ticket.note_required': 'Note (required)', 'ticket.note_why': 'Required unless fixed: say why',
    'ticket.rate_scale': '1 = very unsatisfied, 5 = very satisfied', 'ticket.departments_hint': 'At least one department, and the lead among them',
    'ticket.into_hint': 'The original ticket\'s number (e.g. 20261123-00001)', 'ticket.step': 'Step {seq}',
    'ticket.responsible': 'Responsible worker', 'ticket.suspended': 'Suspended', 'ticket.open_other': 'Open that ticket',
    'post.full_time_worker': 'full-time grid worker', 'post.part_time_worker': 'part-time grid worker', 'post.grid_chief': 'grid chief',
    'post.general_grid_chief': 'general grid chief',
  },
});

// action -> the note it needs: 'required', 'why' (required unless the outcome is fixed) or 'optional'
const NOTE = { contact: 'required', report_back: 'required', meeting: 'required', suspend: 'required',
  feedback: 'required', resolve: 'why', verify: 'why' };

let departmentsCache = null;
/** Departments a whistle may summon: the registered ones and the catalogue's. */
async function departments() {
  if (!departmentsCache) {
    departmentsCache = (async () => {
      const found = new Map();
      const cats = await categories().catch(() => ({}));
      for (const c of Object.values(cats)) found.set(c.department, c.department_name);
      try {
        const answer = await get('/departments', { limit: 200 });
        for (const d of answer.items) found.set(d.code, d.name);
      } catch { /* the catalogue's are enough */ }
      return [...found.entries()].map(([code, name]) => ({ code, name }));
    })();
  }
  return departmentsCache;
}

/** The form of one action: its fields, built from the action schema (gateway schemas/tickets.py). */
function actionForm(ticket, action, cats, onDone, onCancel) {
  const controls = {};
  const parts = [];
  const idempotency = crypto.randomUUID();   // one per form: a double submit is one step
  const message = h('div', { role: 'alert', 'data-testid': 'action-error' });

  if (action === 'resolve' || action === 'verify') {
    controls.outcome = h('select', { name: 'outcome', required: true, 'data-testid': 'action-outcome' },
      STATED_OUTCOMES.map((o) => h('option', { value: o }, outcomeLabel(o))));
    parts.push(field(t('field.outcome'), controls.outcome));
  }
  if (action === 'rate') {
    const group = h('fieldset.rating', { 'data-testid': 'action-satisfaction' },
      h('legend', t('field.satisfaction')),
      [1, 2, 3, 4, 5].map((n) => h('label.check', h('input', { type: 'radio', name: 'satisfaction', value: String(n), required: true, checked: n === 5 }), ` ${n}`)),
      h('small.hint', t('ticket.rate_scale')));
    controls.satisfaction = group;
    parts.push(group);
  }
  if (action === 'whistle') {
    const list = h('div.check-list', { 'data-testid': 'action-departments' });
    const lead = h('select', { name: 'lead_department', required: true, 'data-testid': 'action-lead' });
    const group = h('fieldset', h('legend', t('field.departments')), list, h('small.hint', t('ticket.departments_hint')));
    controls.departments = list; controls.lead = lead;
    parts.push(group, field(t('field.lead_department'), lead));
    const syncLead = () => {
      const picked = [...list.querySelectorAll('input:checked')].map((i) => ({ code: i.value, name: i.dataset.name }));
      const before = lead.value;
      clear(lead, picked.map((d) => h('option', { value: d.code }, d.name)));
      if (picked.some((d) => d.code === before)) lead.value = before;
    };
    departments().then((all) => {
      const mainDept = cats && cats[ticket.category] ? cats[ticket.category].department : null;
      clear(list, all.map((d) => h('label.check', h('input', {
        type: 'checkbox', name: 'departments', value: d.code, checked: d.code === mainDept, dataset: { name: d.name },
        onchange: syncLead,
      }), ` ${d.name}`)));
      syncLead();
    });
  }
  if (action === 'merge') {
    controls.into = h('input', { name: 'into', required: true, maxlength: 40, 'data-testid': 'action-into',
      value: ticket.likely_duplicate_of || '' });
    parts.push(field(t('field.into'), controls.into, t('ticket.into_hint')));
  }
  if (action === 'recategorise') {
    controls.category = h('select', { name: 'category', required: true, 'data-testid': 'action-category' },
      Object.values(cats || {}).map((c) => h('option', { value: c.code }, c.name)));
    controls.category.value = ticket.category;
    controls.grade = h('select', { name: 'grade', 'data-testid': 'action-grade' },
      GRADES.map((g) => h('option', { value: g }, gradeLabel(g))));
    controls.grade.value = ticket.grade;
    parts.push(h('div.row', field(t('field.category'), controls.category), field(t('field.grade'), controls.grade)));
  }
  const need = NOTE[action] || 'optional';
  controls.note = h('textarea', { name: 'note', maxlength: 2000, required: need === 'required', 'data-testid': 'action-note' });
  parts.push(field(t(need === 'optional' ? 'ticket.note_optional' : 'ticket.note_required'), controls.note,
    need === 'why' ? t('ticket.note_why') : null));
  if (need === 'why') {
    const sync = () => { controls.note.required = controls.outcome.value !== 'fixed'; };
    controls.outcome.addEventListener('change', sync); sync();
  }

  const submit = h('button.primary', { type: 'submit', 'data-testid': 'action-submit' },
    t('ticket.submit', undefined, { action: actionLabel(action) }));
  const form = h('form.action-form', {
    'data-testid': `action-form-${action}`, 'aria-label': actionLabel(action),
    onsubmit: async (e) => {
      e.preventDefault();
      clear(message);
      const body = { action, version: ticket.version };
      const note = controls.note.value.trim();
      if (note) body.note = note;
      if (controls.outcome) body.outcome = controls.outcome.value;
      if (controls.satisfaction) body.satisfaction = Number(form.querySelector('input[name=satisfaction]:checked')?.value);
      if (controls.departments) {
        body.departments = [...controls.departments.querySelectorAll('input:checked')].map((i) => i.value);
        body.lead_department = controls.lead.value || null;
      }
      if (controls.into) body.into = controls.into.value.trim();
      if (controls.category) { body.category = controls.category.value; body.grade = controls.grade.value; }
      submit.disabled = true;
      try {
        await post(`/tickets/${encodeURIComponent(ticket.id)}/actions`, body, { headers: { 'Idempotency-Key': idempotency } });
        toast(t('ticket.acted', undefined, { action: actionLabel(action) }), 'ok');
        onDone();
      } catch (err) {
        const { text, detail, field: named } = explainAction(err);
        clear(message, h('p.error', text, detail ? h('small.code', ` (${detail})`) : null));
        const control = named && form.querySelector(`[name="${named}"]`);
        if (control) { control.setAttribute('aria-invalid', 'true'); control.focus(); }
        submit.disabled = false;
      }
    },
  },
  h('h3', actionLabel(action)), parts, message,
  h('div.row', submit, h('button', { type: 'button', onclick: onCancel }, t('ticket.cancel'))));
  return form;
}

function dl(pairs) {
  return h('dl.facts', pairs.filter(Boolean).map(([label, value, testid]) => [
    h('dt', label), h('dd', testid ? { 'data-testid': testid } : {}, value ?? '—')]));
}

function dispatchTable(ticket) {
  if (!ticket.dispatches || !ticket.dispatches.length) return null;
  const step = (done, due) => (done ? t('ticket.done_at', undefined, { at: fmtTime(done) })
    : h('span', Date.parse(due) < Date.now() ? { class: 'late' } : {}, t('ticket.due', undefined, { due: fmtTime(due) })));
  return h('section.card', h('h2', t('ticket.dispatches')),
    h('div.table-wrap', h('table.stack', { 'data-testid': 'ticket-dispatches' },
      h('thead', h('tr', ['department', 'lead', 'sign', 'contact', 'attend', 'report'].map((c) => h('th', { scope: 'col' }, t(`ticket.dispatch.${c}`))))),
      h('tbody', ticket.dispatches.map((d) => h('tr',
        h('td', { 'data-label': t('ticket.dispatch.department') }, d.department),
        h('td', { 'data-label': t('ticket.dispatch.lead') }, d.lead ? t('ticket.yes') : t('ticket.no')),
        h('td', { 'data-label': t('ticket.dispatch.sign') }, step(d.signed_at, d.sign_due)),
        h('td', { 'data-label': t('ticket.dispatch.contact') }, step(d.contacted_at, d.contact_due)),
        h('td', { 'data-label': t('ticket.dispatch.attend') }, step(d.reported_at, d.attend_due)),
        h('td', { 'data-label': t('ticket.dispatch.report') }, d.report || '—')))))));
}

function trailList(entries) {
  return h('ol.trail', { 'data-testid': 'ticket-trail' }, entries.map((e) => h('li', {
    'data-testid': 'trail-entry', dataset: { action: e.action, seq: String(e.seq) },
  },
  h('div.trail-head', h('strong', actionLabel(e.action)), ' · ', h('time', { datetime: e.at }, fmtTime(e.at)),
    ' · ', e.actor_username || '—', e.actor_role ? ` (${t(`role.${e.actor_role}`, e.actor_role)})` : ''),
  h('div.trail-move', e.from_state && e.from_state !== e.to_state ? `${stateLabel(e.from_state)} → ${stateLabel(e.to_state)}` : stateLabel(e.to_state),
    e.from_level !== e.to_level && e.to_level
      ? ` · ${e.from_level ? `${levelLabel(e.from_level)} → ` : ''}${levelLabel(e.to_level)}` : ''),
  e.note ? h('div.trail-note', e.note) : null,
  e.hash ? h('small.hash', { title: e.hash }, `#${e.seq} ${e.hash.slice(0, 12)}…`) : null)));
}

function verifyBox(v) {
  if (!v) return null;
  const witness = v.witness || {};
  let witnessText;
  if (!witness.checked) witnessText = t('ticket.witness_off', undefined, { reason: witness.reason || '—' });
  else if (witness.witnessed === false) witnessText = t('ticket.witness_missing');
  else witnessText = t('ticket.witness_ok', undefined, { seq: witness.trail_seq ?? '—' });
  return h(`div.verify.${v.intact ? 'ok' : 'bad'}`, {
    'data-testid': 'ticket-verify', 'data-intact': String(v.intact), role: 'status',
  },
  h('strong', v.intact ? t('ticket.intact') : t('ticket.broken')),
  v.problems.length ? h('ul', v.problems.map((p) => h('li', t('ticket.problem', undefined, { seq: p.seq ?? '—', problem: p.problem }),
    p.fields && p.fields.length ? t('ticket.fields', undefined, { fields: p.fields.join(', ') }) : ''))) : null,
  h('small', witnessText));
}

async function renderTicket(page, params) {
  const id = params.id;
  const body = h('div', { 'data-testid': 'ticket-page' });
  page.append(h('p', h('a', { href: '#/tickets' }, `← ${t('ticket.back')}`)), body);
  let disposed = false;

  async function loadAll(focusHeading) {
    body.dataset.state = 'loading';
    if (!body.firstChild) clear(body, h('p.loading', t('app.loading')));
    let ticket; let trail; let verify; let cats;
    try {
      const base = `/tickets/${encodeURIComponent(id)}`;
      [ticket, trail, verify, cats] = await Promise.all([
        get(base), get(`${base}/history`), get(`${base}/verify`).catch((err) => ({ error: err })),
        categories().catch(() => null)]);
    } catch (err) {
      if (disposed) return;
      body.dataset.state = 'error';
      clear(body, errorBox(err, () => loadAll(false)));
      return;
    }
    if (disposed) return;
    document.title = `${ticket.number} · ${t('ticket.title')}`;
    const actionsBox = h('div.action-panel');
    const buttons = h('div.row.action-buttons', { role: 'group', 'aria-label': t('ticket.actions') },
      (ticket.your_actions || []).map((action) => h(`button${action === 'accept' || action === 'resolve' || action === 'verify' ? '.primary' : ''}`, {
        type: 'button', 'data-testid': `action-${action}`, 'aria-controls': 'action-panel', 'aria-expanded': 'false',
        onclick: (e) => {
          buttons.querySelectorAll('button').forEach((b) => b.setAttribute('aria-expanded', 'false'));
          e.currentTarget.setAttribute('aria-expanded', 'true');
          const form = actionForm(ticket, action, cats, () => loadAll(true), () => {
            clear(actionsBox);
            e.target.setAttribute('aria-expanded', 'false');
            e.target.focus();
          });
          clear(actionsBox, form);
          form.querySelector('select, input, textarea')?.focus();
        },
      }, actionLabel(action))));
    actionsBox.id = 'action-panel';
    const clock = clockOf(ticket);
    const heading = h('h1', { tabindex: '-1' }, `${t('ticket.title')} ${ticket.number}`);
    clear(body,
      heading,
      h('section.card', { 'aria-labelledby': 'actions-h', 'data-testid': 'ticket-actions' },
        h('h2', { id: 'actions-h' }, t('ticket.actions')),
        (ticket.your_actions || []).length ? buttons : h('p.empty', t('ticket.no_actions')), actionsBox),
      h('div.ticket-cols',
        h('section.card', { 'aria-labelledby': 'details-h', 'data-testid': 'ticket-detail',
          dataset: { status: ticket.status, level: ticket.level || '', version: String(ticket.version) } },
        h('h2', { id: 'details-h' }, t('ticket.details')),
        dl([
          [t('ticket.state'), h('span', stateLabel(ticket.status), ticket.suspended ? h('span.badge.warn', ` ${t('ticket.suspended')}`) : null), 'ticket-status'],
          [t('ticket.level'), levelLabel(ticket.level), 'ticket-level'],
          [t('ticket.clock'), clockBadge(clock), 'ticket-clock'],
          [t('ticket.grade'), gradeLabel(ticket.grade)],
          [t('ticket.category'), categoryName(cats, ticket.category)],
          [t('ticket.source'), sourceLabel(ticket.source)],
          [t('ticket.grid'), gridLabel(ticket.grid_code)],
          [t('ticket.reported'), fmtTime(ticket.reported_at)],
          [t('ticket.accept_due'), fmtTime(ticket.accept_due)],
          [t('ticket.respond_due'), fmtTime(ticket.respond_due)],
          [t('ticket.resolve_due'), fmtTime(ticket.resolve_due)],
          ticket.outcome ? [t('ticket.outcome'), outcomeLabel(ticket.outcome), 'ticket-outcome'] : null,
          ticket.satisfaction ? [t('ticket.satisfaction'), `${ticket.satisfaction} / 5`] : null,
          ticket.lead_department ? [t('ticket.lead'), ticket.lead_department] : null,
          [t('ticket.reporter'), ticket.anonymous ? t('ticket.anonymous')
            : [ticket.reporter_name, ticket.reporter_phone].filter(Boolean).join(' · ') || '—'],
          ticket.responsible ? [t('ticket.responsible'), `${t(`post.${ticket.responsible.role}`, t(`role.${ticket.responsible.role}`, ticket.responsible.role || ''))} · ${ticket.responsible.grid_code || ''}`] : null,
          ticket.likely_duplicate_of ? [t('ticket.duplicate_of'), h('a', { href: `#/tickets/${encodeURIComponent(ticket.likely_duplicate_of)}`, 'data-testid': 'ticket-duplicate-of' }, t('ticket.open_other'))] : null,
          ticket.original ? [t('ticket.original'), h('a', { href: `#/tickets/${encodeURIComponent(ticket.original.id)}` },
            `${ticket.original.number} (${stateLabel(ticket.original.status)})`)] : null,
          [t('ticket.version'), String(ticket.version)],
        ]),
        h('h3', t('ticket.description')), h('p.description', ticket.description)),
        h('section.card', { 'aria-labelledby': 'trail-h' },
          h('h2', { id: 'trail-h' }, t('ticket.trail')),
          h('h3', t('ticket.verify')),
          verify && verify.error ? h('div', { 'data-testid': 'ticket-verify', 'data-intact': 'unknown' }, errorBox(verify.error))
            : verifyBox(verify),
          trailList(trail.items || []))),
      dispatchTable(ticket));
    body.dataset.state = 'ready';
    body.dataset.status = ticket.status;
    if (focusHeading) heading.focus();
  }
  await loadAll(false);
  return () => { disposed = true; };
}

register({ path: '/tickets/:id', title: 'ticket.title', nav: false, roles: null, render: renderTicket });

/** A grid's name and code; the code at once, the name when the registry answers. */
function gridLabel(code) {
  const label = h('span', code || '—');
  if (code) grid(code).then((g) => { label.textContent = `${g.name} · ${code}`; }).catch(() => {});
  return label;
}
