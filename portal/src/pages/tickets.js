// The workbench (工作台): the queue of tickets in the user's reach, by state and grade,
// nearest SLA deadline first; and the form to report a new ticket.
import { get, post } from '../api.js';
import { addMessages, currentLang, fmtNumber, t } from '../i18n.js';
import { register } from '../router.js';
import { current, hasRole, scope } from '../session.js';
import { clear, errorBox, field, h, toast } from '../ui.js';
import {
  GRADES, STATES, categories, fastTime, categoryName, clockBadge, clockOf, explainAction, gradeLabel, levelLabel,
  stateLabel,
} from './tickets-common.js';
import { download } from '../downloads.js';

addMessages({
  zh: {
    'tickets.title': '工单工作台', 'tickets.queue': '工单队列', 'tickets.state': '状态', 'tickets.grade': '紧急程度',
    'tickets.open': '未办结（全部在办）', 'tickets.all': '全部', 'tickets.any_grade': '全部等级', 'tickets.overdue': '只看超时',
    'tickets.mine': '只看我负责的', 'tickets.filters': '筛选', 'tickets.count': '已加载 {n} 件，按时限剩余排序',
    'tickets.more_hint': '还有更多', 'tickets.col.clock': '时限', 'tickets.col.number': '编号', 'tickets.col.category': '类别',
    'tickets.col.grade': '等级', 'tickets.col.state': '状态', 'tickets.col.grid': '网格', 'tickets.col.reported': '上报时间',
    'tickets.col.description': '描述', 'tickets.empty': '没有符合条件的工单', 'tickets.export': '导出清单（Excel）',
    'tickets.exported': '已下载：{name}', 'tickets.caption': '工单队列，按时限剩余从少到多排列',
    'tickets.new': '上报事件', 'tickets.new.title': '上报一个事件', 'tickets.new.category': '事件类别',
    'tickets.new.grade': '紧急程度', 'tickets.new.description': '问题描述', 'tickets.new.grid': '所在网格',
    'tickets.new.grid_level': '第 {n} 级网格', 'tickets.new.choose': '请选择', 'tickets.new.position': '使用我的位置',
    'tickets.new.position_hint': '可选：有位置时按位置定网格', 'tickets.new.position_set': '位置：{lon}, {lat}',
    'tickets.new.position_clear': '清除位置', 'tickets.new.position_failed': '无法获取位置',
    'tickets.new.submit': '提交', 'tickets.new.done': '已上报：{number}', 'tickets.new.need_where': '请选择网格或使用位置',
    'tickets.new.anonymous': '匿名上报',
    'tickets.suspended': '挂起',
  },
  en: {
    'tickets.title': 'Workbench', 'tickets.queue': 'Ticket queue', 'tickets.state': 'State', 'tickets.grade': 'Grade',
    'tickets.open': 'Open (all in progress)', 'tickets.all': 'All', 'tickets.any_grade': 'Any grade', 'tickets.overdue': 'Overdue only',
    'tickets.mine': 'Only mine', 'tickets.filters': 'Filters', 'tickets.count': '{n} loaded, nearest deadline first',
    'tickets.more_hint': 'There are more', 'tickets.col.clock': 'Time left', 'tickets.col.number': 'Number', 'tickets.col.category': 'Category',
    'tickets.col.grade': 'Grade', 'tickets.col.state': 'State', 'tickets.col.grid': 'Grid', 'tickets.col.reported': 'Reported',
    'tickets.col.description': 'Description', 'tickets.empty': 'No ticket matches', 'tickets.export': 'Export list (Excel)',
    'tickets.exported': 'Downloaded: {name}', 'tickets.caption': 'Ticket queue, least time left first',
    'tickets.new': 'Report a problem', 'tickets.new.title': 'Report a problem', 'tickets.new.category': 'Category',
    'tickets.new.grade': 'Grade', 'tickets.new.description': 'Description', 'tickets.new.grid': 'Grid',
    'tickets.new.grid_level': 'Grid, level {n}', 'tickets.new.choose': 'Choose', 'tickets.new.position': 'Use my position',
    'tickets.new.position_hint': 'Optional: with a position the grid follows from it', 'tickets.new.position_set': 'Position: {lon}, {lat}',
    'tickets.new.position_clear': 'Clear position', 'tickets.new.position_failed': 'No position available',
    'tickets.new.submit': 'Submit', 'tickets.new.done': 'Reported: {number}', 'tickets.new.need_where': 'Choose a grid or use your position',
    'tickets.new.anonymous': 'Report anonymously',
    'tickets.suspended': 'Suspended',
  },
});

const PAGE = 500;   // the API's largest page: the queue sorts what it has loaded
const EXPORTERS = ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'auditor'];

function metrics() {
  window.__portalMetrics = window.__portalMetrics || {};
  return window.__portalMetrics;
}

/** The API's filters for the page's query (?state=&grade=&overdue=&mine=). */
function listQuery(q) {
  const state = q.state || 'open';
  return {
    status: state === 'all' ? undefined : state,
    grade: q.grade || undefined,
    overdue: q.overdue === '1' ? 'true' : undefined,
    responsible: q.mine === '1' ? 'me' : undefined,
  };
}

function sortByClock(items, now) {
  const keyed = items.map((ticket) => ({ ticket, clock: clockOf(ticket, now) }));
  keyed.sort((a, b) => (a.clock.ms - b.clock.ms) || (Date.parse(b.ticket.reported_at) - Date.parse(a.ticket.reported_at)));
  return keyed;
}

function renderQueue(page, params, query) {
  const me = current();
  const q = { state: query.state || 'open', grade: query.grade || '', overdue: query.overdue || '', mine: query.mine || '' };
  let items = []; let next = null; let cats = null; let abort = null; let timer = null;
  const COLS = ['clock', 'number', 'category', 'grade', 'state', 'grid', 'reported', 'description'];
  const headings = Object.fromEntries(COLS.map((c) => [c, t(`tickets.col.${c}`)]));

  // --- filters
  const stateSel = h('select', { name: 'state', 'data-testid': 'queue-filter-state' },
    h('option', { value: 'open' }, t('tickets.open')), h('option', { value: 'all' }, t('tickets.all')),
    STATES.map((s) => h('option', { value: s }, stateLabel(s))));
  stateSel.value = q.state;
  const gradeSel = h('select', { name: 'grade', 'data-testid': 'queue-filter-grade' },
    h('option', { value: '' }, t('tickets.any_grade')), GRADES.map((g) => h('option', { value: g }, gradeLabel(g))));
  gradeSel.value = q.grade;
  const overdue = h('input', { type: 'checkbox', name: 'overdue', checked: q.overdue === '1', 'data-testid': 'queue-filter-overdue' });
  const mine = me.person_id
    ? h('input', { type: 'checkbox', name: 'mine', checked: q.mine === '1', 'data-testid': 'queue-filter-mine' }) : null;
  const check = (input, label) => h('label.check', input, ' ', label);
  const onFilter = () => {
    Object.assign(q, { state: stateSel.value, grade: gradeSel.value, overdue: overdue.checked ? '1' : '', mine: mine && mine.checked ? '1' : '' });
    const search = new URLSearchParams(Object.entries(q).filter(([, v]) => v && v !== '')).toString();
    history.replaceState(null, '', `#/tickets${search ? `?${search}` : ''}`);
    reload();
  };
  [stateSel, gradeSel, overdue, mine].forEach((el) => el && el.addEventListener('change', onFilter));

  // --- the queue
  const status = h('p.queue-count', { 'aria-live': 'polite', 'data-testid': 'queue-count' });
  const tbody = h('tbody', { role: 'rowgroup' });
  // explicit roles: the rows are laid out as grid boxes (style.css), and stay a table to screen readers
  const tableEl = h('table.stack.queue', { role: 'table', 'aria-describedby': 'queue-count' },
    h('caption.sr-only', t('tickets.caption')),
    h('thead', { role: 'rowgroup' }, h('tr', { role: 'row' }, COLS.map((c) => h('th', { scope: 'col', role: 'columnheader' }, t(`tickets.col.${c}`))))),
    tbody);
  status.id = 'queue-count';
  status.tabIndex = -1;
  const box = h('div.table-wrap', { 'data-testid': 'ticket-queue', 'data-state': 'loading' }, tableEl);
  const message = h('div');
  const more = h('button', {
    type: 'button', 'data-testid': 'queue-more', hidden: true,
    onclick: async () => {
      await fetchPage(true);
      if (more.hidden) status.focus();   // the button is gone with the last page: focus stays on the queue
    },
  }, t('app.more'));

  function row({ ticket, clock }) {
    const label = (c) => ({ 'data-label': headings[c], role: 'cell' });
    const desc = ticket.description.length > 60 ? `${ticket.description.slice(0, 60)}…` : ticket.description;
    return h('tr', { role: 'row', 'data-testid': 'queue-row', dataset: { ticketId: ticket.id, number: ticket.number, clock: clock.kind } },
      h('td.clock-cell', label('clock'), clockBadge(clock)),
      h('td', label('number'), h('a', { href: `#/tickets/${encodeURIComponent(ticket.id)}` }, ticket.number)),
      h('td', label('category'), categoryName(cats, ticket.category)),
      h('td', label('grade'), h(`span.badge.grade-${ticket.grade}`, gradeLabel(ticket.grade))),
      h('td', label('state'), stateLabel(ticket.status), ticket.level ? ` · ${levelLabel(ticket.level)}` : '',
        ticket.suspended ? h('span.badge.warn', ` ${t('tickets.suspended')}`) : null),
      h('td', label('grid'), ticket.grid_code),
      h('td', label('reported'), fastTime(ticket.reported_at)),
      h('td.desc', label('description'), h('span.clamp', desc)));
  }

  function draw(apiMs) {
    const started = performance.now();
    const sorted = sortByClock(items, Date.now());
    const fragment = document.createDocumentFragment();
    for (const entry of sorted) fragment.append(row(entry));
    const built = performance.now();
    tbody.replaceChildren(fragment);
    clear(message, items.length ? null : h('p.empty', t('tickets.empty')));
    void tableEl.offsetHeight;   // the layout is part of drawing
    const renderMs = performance.now() - started;
    metrics().queueBuildMs = Math.round((built - started) * 10) / 10;
    clear(status, t('tickets.count', undefined, { n: fmtNumber(items.length) }), next ? ` · ${t('tickets.more_hint')}` : '');
    more.hidden = !next;
    box.dataset.count = String(items.length);
    box.dataset.state = 'ready';
    Object.assign(metrics(), { queueRenderMs: Math.round(renderMs * 10) / 10, queueApiMs: Math.round(apiMs * 10) / 10,
      queueRows: items.length });
  }

  async function fetchPage(append) {
    if (abort) abort.abort();
    abort = new AbortController();
    box.dataset.state = 'loading';
    more.disabled = true;
    if (!append) clear(message, h('p.loading', t('app.loading')));
    const started = performance.now();
    try {
      const [answer, catalogue] = await Promise.all([
        get('/tickets', { ...listQuery(q), limit: PAGE, before: append ? next : undefined }, { signal: abort.signal }),
        categories().catch(() => null)]);
      const apiMs = performance.now() - started;
      cats = catalogue;
      items = append ? items.concat(answer.items) : answer.items;
      next = answer.next;
      draw(apiMs);
    } catch (err) {
      if (err.name === 'AbortError') return;
      box.dataset.state = 'error';
      clear(message, errorBox(err, () => fetchPage(append)));
    } finally {
      more.disabled = false;
    }
  }
  const reload = () => fetchPage(false);

  // the time left moves on: redraw the badges each minute (no API call)
  timer = setInterval(() => {
    if (box.dataset.state !== 'ready') return;
    const byId = new Map(items.map((ticket) => [ticket.id, ticket]));
    for (const tr of tbody.rows) {
      const ticket = byId.get(tr.dataset.ticketId);
      if (!ticket) continue;
      const clock = clockOf(ticket);
      tr.dataset.clock = clock.kind;
      tr.cells[0].replaceChildren(clockBadge(clock));
    }
  }, 60e3);

  const exportButton = hasRole(...EXPORTERS) ? h('button', {
    type: 'button', 'data-testid': 'queue-export',
    onclick: async (e) => {
      const button = e.currentTarget; button.disabled = true;
      try {
        const { status: st, grade, overdue: od, responsible } = listQuery(q);
        const { name } = await download('/tickets/export', { status: st, grade, overdue: od, responsible, format: 'xlsx',
          lang: currentLang() }, 'tickets.xlsx');
        toast(t('tickets.exported', undefined, { name }), 'ok');
      } catch (err) {
        toast(explainAction(err).text, 'error');
      } finally { button.disabled = false; }
    },
  }, t('tickets.export')) : null;

  const canReport = !hasRole('auditor') || me.roles.length > 1;
  const newBox = h('div');
  const newToggle = canReport ? h('button.primary', {
    type: 'button', 'aria-expanded': 'false', 'aria-controls': 'new-ticket', 'data-testid': 'new-ticket-toggle',
    onclick: () => {
      const open = newToggle.getAttribute('aria-expanded') !== 'true';
      newToggle.setAttribute('aria-expanded', String(open));
      if (open) {
        clear(newBox, newTicketForm((ticket) => {
          newToggle.setAttribute('aria-expanded', 'false'); clear(newBox);
          toast(t('tickets.new.done', undefined, { number: ticket.number }), 'ok');
          reload();
        }));
        newBox.querySelector('select, input, textarea')?.focus();
      } else clear(newBox);
    },
  }, t('tickets.new')) : null;

  page.append(
    h('div.page-head', h('h1', t('tickets.title')), h('div.row', newToggle, exportButton)),
    newBox,
    h('section.card.queue-card', { 'aria-labelledby': 'queue-h' },
      h('h2', { id: 'queue-h' }, t('tickets.queue')),
      h('fieldset.filters', h('legend.sr-only', t('tickets.filters')),
        h('div.row', field(t('tickets.state'), stateSel), field(t('tickets.grade'), gradeSel),
          check(overdue, t('tickets.overdue')), mine ? check(mine, t('tickets.mine')) : null)),
      status, message, box, more));
  if (query.new === '1' && newToggle) newToggle.click();
  reload();
  return () => { clearInterval(timer); if (abort) abort.abort(); };
}

// --- a new ticket ---------------------------------------------------------------------------

/** Cascading selects from the user's scope (or the district) down to the grid chosen. */
function gridChooser() {
  const box = h('div.grid-chooser', { role: 'group', 'aria-label': t('tickets.new.grid') });
  const chosen = [];  // codes, one per depth
  const fieldsAt = [];  // the field of each depth's select
  async function levelUnder(parent, depth) {
    const query = parent ? { parent, limit: 200 } : { level: 'district', limit: 200 };
    const answer = await get('/grids', query);
    if (!answer.items.length) return;
    const select = h('select', { 'data-testid': `new-ticket-grid-${depth}`, name: `grid-${depth}` },
      h('option', { value: '' }, t('tickets.new.choose')),
      answer.items.map((g) => h('option', { value: g.code }, `${g.name} (${g.code})`)));
    select.addEventListener('change', async () => {
      fieldsAt.splice(depth + 1).forEach((f) => f && f.remove());
      chosen.length = depth;
      if (select.value) { chosen[depth] = select.value; await levelUnder(select.value, depth + 1).catch(() => {}); }
    });
    fieldsAt[depth] = field(t('tickets.new.grid_level', undefined, { n: depth + 1 }), select);
    box.append(fieldsAt[depth]);
  }
  const root = scope();
  if (root) {
    chosen[0] = root;
    box.append(h('p.hint', `${t('app.scope')}: ${root}`));
    levelUnder(root, 1).catch(() => {});
  } else levelUnder(null, 0).catch(() => {});
  return { element: box, value: () => chosen.filter(Boolean).at(-1) || null };
}

function newTicketForm(done) {
  const me = current();
  const category = h('select', { name: 'category', required: true, 'data-testid': 'new-ticket-category' },
    h('option', { value: '' }, t('app.loading')));
  categories().then((cats) => {
    clear(category, h('option', { value: '' }, t('tickets.new.choose')),
      Object.values(cats).map((c) => h('option', { value: c.code }, `${c.name} · ${c.department_name}`)));
  }).catch((err) => clear(category, h('option', { value: '' }, explainAction(err).text)));
  const grade = h('select', { name: 'grade', 'data-testid': 'new-ticket-grade' }, GRADES.map((g) => h('option', { value: g }, gradeLabel(g))));
  const description = h('textarea', { name: 'description', required: true, minlength: 2, maxlength: 2000, 'data-testid': 'new-ticket-description' });
  const anonymous = me.roles.includes('resident') ? h('input', { type: 'checkbox', name: 'anonymous' }) : null;
  const grid = gridChooser();
  let position = null;
  const positionText = h('span.hint', { 'aria-live': 'polite', 'data-testid': 'new-ticket-position-text' });
  const clearPos = h('button.link', { type: 'button', hidden: true, onclick: () => { position = null; positionText.textContent = ''; clearPos.hidden = true; } },
    t('tickets.new.position_clear'));
  const posButton = h('button', {
    type: 'button', 'data-testid': 'new-ticket-position',
    onclick: () => {
      if (!navigator.geolocation) { positionText.textContent = t('tickets.new.position_failed'); return; }
      navigator.geolocation.getCurrentPosition((p) => {
        position = { lon: Math.round(p.coords.longitude * 1e6) / 1e6, lat: Math.round(p.coords.latitude * 1e6) / 1e6, crs: 'wgs84' };
        positionText.textContent = t('tickets.new.position_set', undefined, position);
        clearPos.hidden = false;
      }, () => { positionText.textContent = t('tickets.new.position_failed'); }, { timeout: 10000, maximumAge: 60000 });
    },
  }, t('tickets.new.position'));
  const message = h('div', { role: 'alert', 'data-testid': 'new-ticket-error' });
  const submit = h('button.primary', { type: 'submit', 'data-testid': 'new-ticket-submit' }, t('tickets.new.submit'));
  const idempotency = crypto.randomUUID();
  const form = h('form.card.new-ticket', {
    id: 'new-ticket', 'data-testid': 'new-ticket-form', 'aria-labelledby': 'new-ticket-h', novalidate: false,
    onsubmit: async (e) => {
      e.preventDefault();
      clear(message);
      const body = { category: category.value, grade: grade.value, description: description.value.trim() };
      const code = grid.value();
      if (position) body.location = position; else if (code) body.grid_code = code;
      else { clear(message, h('p.error', t('tickets.new.need_where'))); return; }
      if (anonymous && anonymous.checked) body.anonymous = true;
      submit.disabled = true;
      try {
        const ticket = await post('/tickets', body, { headers: { 'Idempotency-Key': idempotency } });
        done(ticket);
      } catch (err) {
        const { text, detail } = explainAction(err);
        clear(message, h('p.error', text, detail ? h('small.code', ` (${detail})`) : null));
      } finally { submit.disabled = false; }
    },
  },
  h('h2', { id: 'new-ticket-h' }, t('tickets.new.title')),
  h('div.row', field(t('tickets.new.category'), category), field(t('tickets.new.grade'), grade)),
  field(t('tickets.new.description'), description),
  grid.element,
  h('div.row', posButton, positionText, clearPos), h('p.hint', t('tickets.new.position_hint')),
  anonymous ? h('label.check', anonymous, ' ', t('tickets.new.anonymous')) : null,
  message, submit);
  return form;
}

register({ path: '/tickets', title: 'tickets.title', order: 20, roles: null, render: renderQueue });
