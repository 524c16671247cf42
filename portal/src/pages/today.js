// 今日 (#/today): the grid worker's day on a phone. The to-do list (my open tickets,
// special groups and group rentals due a follow-up, households not visited this quarter,
// open campaigns, my patrol target), patrol check-in with the phone's position, household
// visits and sentiment records. Writes go through the offline queue (offline.js): they
// are kept on the phone and sent when the network is there, each stored once.
import { api } from '../api.js';
import { addMessages, currentLang, fmtTime, t } from '../i18n.js';
import * as outbox from '../offline.js';
import { register } from '../router.js';
import { current, hasRole, scope } from '../session.js';
import { clear, errorBox, field, h } from '../ui.js';
import './today.css';

addMessages({
  zh: {
    'today.title': '今日', 'today.lead': '{date} · {who}',
    'today.jump': '本页内容', 'today.online': '在线', 'today.offline': '离线：记录先存在手机上，联网后自动发送',
    'today.todo': '今日待办', 'today.cached': '离线：显示的是上次联网时的数据',
    'today.tickets': '我的工单', 'today.tickets.scope': '管辖范围内待办工单',
    'today.noperson': '这个账号没有关联到网格工作人员，不能签到、走访或记录民情；请用网格员自己的账号。', 'today.tickets.none': '没有待办工单',
    'today.followups': '重点人群回访', 'today.followups.none': '没有到期的回访',
    'today.rentals': '群租房回访', 'today.overdue': '逾期 {n} 天', 'today.due': '到期 {time}',
    'today.visitsdue': '本季度未走访户', 'today.visitsdue.none': '本季度的住户都已走访',
    'today.visitsdue.more': '另有 {n} 户（下拉选择）', 'today.never': '从未走访', 'today.lastvisit': '上次 {time}',
    'today.campaigns': '专项任务', 'today.campaigns.none': '没有进行中的专项任务', 'today.duedate': '截止 {date}',
    'today.target': '我的巡查走访目标', 'today.target.patrols': '巡查 {done}/{need} 次',
    'today.target.visits': '走访 {done}/{need} 户', 'today.target.ok': '本季度目标已完成',
    'today.dovisit': '去走访', 'today.grade.daily': '一般', 'today.grade.urgent': '紧急', 'today.grade.major': '重大',
    'today.checkin': '巡查签到', 'today.checkin.lead': '用手机定位记下此刻的位置，离线也可以签到。',
    'today.checkin.button': '签到（获取位置）', 'today.locating': '正在获取位置…',
    'today.position': '位置 {lat}, {lon}（精度约 {acc} 米）',
    'today.inside.local': '本机判断：在网格「{grid}」内', 'today.outside.local': '本机判断：不在网格「{grid}」内',
    'today.checkin.sent': '签到已上传', 'today.checkin.queued': '签到已保存在手机上，联网后自动发送',
    'today.inside': '在网格内（{grid}）', 'today.outside': '不在所属网格内（定位于 {grid}）',
    'today.geo.unsupported': '这台设备不能定位', 'today.geo.denied': '未允许使用位置：请在浏览器设置中允许本站获取位置后重试',
    'today.geo.unavailable': '暂时无法定位：请到开阔处重试', 'today.geo.timeout': '定位超时：请重试',
    'today.visit': '入户走访', 'today.visit.household': '住户', 'today.visit.pick': '请选择住户',
    'today.visit.notes': '走访记录', 'today.visit.notes.hint': '听到的情况、需要跟进的事（1-2000 字）',
    'today.visit.submit': '保存走访', 'today.visit.sent': '走访已上传', 'today.visit.queued': '走访已保存在手机上，联网后自动发送',
    'today.visit.none': '管辖范围内没有住户',
    'today.sentiment': '社情民意', 'today.sentiment.grid': '网格', 'today.sentiment.household': '来自住户（可不选）',
    'today.sentiment.nohousehold': '不指定住户', 'today.sentiment.category': '类别', 'today.sentiment.source': '来源',
    'today.sentiment.content': '群众反映的内容', 'today.sentiment.content.hint': '用自己的话记下（2-2000 字）',
    'today.sentiment.submit': '保存民情', 'today.sentiment.sent': '民情已上传', 'today.sentiment.queued': '民情已保存在手机上，联网后自动发送',
    'today.failed': '没有保存成功：{reason}',
    'today.recent': '最近已发送', 'today.recent.none': '还没有发送过记录',
    'error.NOT_YOUR_ROUND': '网格员只能记录自己的巡查和走访', 'error.NOT_ASSIGNED': '这一天您没有被分配到该网格',
    'error.HOUSEHOLD_OUTSIDE_GRID': '该住户不在所选网格内', 'error.HOUSEHOLD_NOT_FOUND': '没有这户住户（可能已被注销）',
    'field.household_id': '住户', 'field.grid_code': '网格', 'field.content': '内容', 'field.notes': '走访记录',
    'field.occurred_at': '时间', 'field.person_id': '人员',
  },
  en: {
    'today.title': 'Today', 'today.lead': '{date} · {who}',
    'today.jump': 'On this page', 'today.online': 'Online', 'today.offline': 'Offline: records stay on the phone and are sent when the network is back',
    'today.todo': 'To do today', 'today.cached': 'Offline: showing what was last loaded',
    'today.tickets': 'My tickets', 'today.tickets.scope': 'Open tickets in your scope',
    'today.noperson': 'This account is not linked to a staff member, so it cannot check in, visit or record sentiments; use the worker\'s own account.', 'today.tickets.none': 'No tickets waiting for you',
    'today.followups': 'Special groups due a follow-up', 'today.followups.none': 'No follow-ups due',
    'today.rentals': 'Group rentals due a follow-up', 'today.overdue': '{n} days overdue', 'today.due': 'due {time}',
    'today.visitsdue': 'Households not visited this quarter', 'today.visitsdue.none': 'Every household has been visited this quarter',
    'today.visitsdue.more': '{n} more (pick them in the list)', 'today.never': 'never visited', 'today.lastvisit': 'last {time}',
    'today.campaigns': 'Campaigns', 'today.campaigns.none': 'No open campaigns', 'today.duedate': 'due {date}',
    'today.target': 'My patrol and visit targets', 'today.target.patrols': 'patrols {done}/{need}',
    'today.target.visits': 'households visited {done}/{need}', 'today.target.ok': 'This quarter\'s targets are met',
    'today.dovisit': 'Visit', 'today.grade.daily': 'daily', 'today.grade.urgent': 'urgent', 'today.grade.major': 'major',
    'today.checkin': 'Patrol check-in', 'today.checkin.lead': 'Records where the phone is now; works offline too.',
    'today.checkin.button': 'Check in (get my position)', 'today.locating': 'Getting the position…',
    'today.position': 'Position {lat}, {lon} (about {acc} m)',
    'today.inside.local': 'On this phone: inside grid {grid}', 'today.outside.local': 'On this phone: outside grid {grid}',
    'today.checkin.sent': 'Check-in sent', 'today.checkin.queued': 'Check-in kept on the phone; it is sent when the network is back',
    'today.inside': 'Inside your grid ({grid})', 'today.outside': 'Outside your grids (located in {grid})',
    'today.geo.unsupported': 'This device cannot give its position', 'today.geo.denied': 'Position not allowed: allow this site to use your location, then try again',
    'today.geo.unavailable': 'No position for now: try again in the open', 'today.geo.timeout': 'The position took too long: try again',
    'today.visit': 'Household visit', 'today.visit.household': 'Household', 'today.visit.pick': 'Choose a household',
    'today.visit.notes': 'Notes', 'today.visit.notes.hint': 'What you heard, what needs following up (1-2000 characters)',
    'today.visit.submit': 'Save the visit', 'today.visit.sent': 'Visit sent', 'today.visit.queued': 'Visit kept on the phone; it is sent when the network is back',
    'today.visit.none': 'No households in your scope',
    'today.sentiment': 'Sentiment record', 'today.sentiment.grid': 'Grid', 'today.sentiment.household': 'From a household (optional)',
    'today.sentiment.nohousehold': 'No household', 'today.sentiment.category': 'Category', 'today.sentiment.source': 'Source',
    'today.sentiment.content': 'What residents said', 'today.sentiment.content.hint': 'In your own words (2-2000 characters)',
    'today.sentiment.submit': 'Save the record', 'today.sentiment.sent': 'Record sent', 'today.sentiment.queued': 'Record kept on the phone; it is sent when the network is back',
    'today.failed': 'Not saved: {reason}',
    'today.recent': 'Sent lately', 'today.recent.none': 'Nothing sent yet',
    'error.NOT_YOUR_ROUND': 'A grid worker records only their own rounds', 'error.NOT_ASSIGNED': 'You were not posted in that grid on that day',
    'error.HOUSEHOLD_OUTSIDE_GRID': 'That household is not in the chosen grid', 'error.HOUSEHOLD_NOT_FOUND': 'No such household (it may have been removed)',
    'field.household_id': 'household', 'field.grid_code': 'grid', 'field.content': 'content', 'field.notes': 'notes',
    'field.occurred_at': 'time', 'field.person_id': 'person',
  },
});

const CATALOGUE_KEY = 'gridgov.sentiments.catalogue';

/** A to-do read: {data, cached} — cached when the service worker answered from its copy. */
async function read(path, query) {
  const answer = await api('GET', path, { query, raw: true });
  return { data: await answer.json(), cached: answer.headers.get('X-Served-From') === 'sw-cache' };
}

function quarter(now = new Date()) {
  // the period as Asia/Shanghai counts it
  const local = new Date(now.getTime() + 8 * 3600 * 1000);
  return `${local.getUTCFullYear()}-Q${Math.floor(local.getUTCMonth() / 3) + 1}`;
}

/** Is [lon, lat] inside a GeoJSON Polygon / MultiPolygon? (ray casting, holes honoured) */
export function inside(point, geometry) {
  if (!geometry) return null;
  const [x, y] = point;
  const inRing = (ring) => {
    let hit = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i];
      const [xj, yj] = ring[j];
      if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
    }
    return hit;
  };
  const inPolygon = (rings) => inRing(rings[0]) && !rings.slice(1).some(inRing);
  if (geometry.type === 'Polygon') return inPolygon(geometry.coordinates);
  if (geometry.type === 'MultiPolygon') return geometry.coordinates.some(inPolygon);
  return null;
}

function label(entry) { return (entry && (currentLang() === 'en' ? entry.en : entry.zh)) || (entry && entry.code) || ''; }

function position() {
  return new Promise((resolve, reject) => {
    if (!('geolocation' in navigator)) { reject(new Error(t('today.geo.unsupported'))); return; }
    navigator.geolocation.getCurrentPosition(resolve, (err) => {
      const key = { 1: 'today.geo.denied', 2: 'today.geo.unavailable', 3: 'today.geo.timeout' }[err.code];
      reject(new Error(t(key || 'today.geo.unavailable')));
    }, { enableHighAccuracy: true, timeout: 20000, maximumAge: 30000 });
  });
}

/** The words for an enqueue outcome, and the message's kind. */
function outcomeText(result, prefix, detail) {
  if (result.state === 'sent') return [`✓ ${t(`${prefix}.sent`)}${detail ? ` · ${detail}` : ''}`, 'ok'];
  if (result.state === 'queued') return [t(`${prefix}.queued`), 'warn'];
  return [t('today.failed', '', { reason: result.error ? outbox.plain(result.error) : '' }), 'bad'];
}

function say(box, [text, kind]) {
  clear(box, h(`p.say.${kind}`, text));
}

// --- the outbox panel ---------------------------------------------------------------------------
function outboxPanel() {
  const net = h('span.net', { 'data-testid': 'net-state', role: 'status' });
  const countBox = h('strong', { 'data-testid': 'outbox-count' });
  const failedBox = h('span', { 'data-testid': 'outbox-failed' });
  const sendNow = h('button', { type: 'button', 'data-testid': 'outbox-send', onclick: () => outbox.flush({ force: true }) },
    t('outbox.sendnow'));
  const list = h('ul.outbox-list', { 'data-testid': 'outbox-list' });
  const panel = h('section.card.outbox', { 'data-testid': 'outbox', 'aria-labelledby': 'outbox-h' },
    h('div.outbox-head', h('h2', { id: 'outbox-h' }, t('outbox.title')), net),
    h('p.outbox-line', countBox, ' ', failedBox, ' ', sendNow), list);

  async function refresh() {
    const online = navigator.onLine;
    net.textContent = online ? t('today.online') : t('today.offline');
    net.className = `net ${online ? 'on' : 'off'}`;
    net.dataset.online = String(online);
    let queue = [];
    try { queue = await outbox.items(); } catch (err) { console.warn(err); }
    const waiting = queue.filter((i) => i.state !== 'failed');
    const failed = queue.filter((i) => i.state === 'failed');
    countBox.textContent = waiting.length || failed.length ? t('outbox.waiting', '', { n: waiting.length }) : t('outbox.allsent');
    countBox.dataset.n = String(waiting.length);
    failedBox.textContent = failed.length ? t('outbox.failed', '', { n: failed.length }) : '';
    failedBox.dataset.n = String(failed.length);
    failedBox.className = failed.length ? 'badge bad' : '';
    sendNow.hidden = !waiting.length;
    sendNow.disabled = !online || outbox.isSending();
    panel.dataset.waiting = String(waiting.length);
    panel.dataset.failed = String(failed.length);
    clear(list, queue.map((item) => h('li.outbox-item', {
      'data-testid': 'outbox-item', dataset: { state: item.state, kind: item.kind, clientId: item.body.client_id },
    },
    h('div', h('strong', t(`outbox.kind.${item.kind}`, t('outbox.kind.other'))), ' ', item.label),
    h('small', t('outbox.made', '', { time: fmtTime(item.created_at) }),
      item.attempts ? ` · ${t('outbox.attempts', '', { n: item.attempts })}` : '',
      item.state === 'queued' && item.next_at > Date.now() ? ` · ${t('outbox.next', '', { time: fmtTime(new Date(item.next_at).toISOString()) })}` : ''),
    item.state === 'failed' ? h('p.error', { 'data-testid': 'outbox-reason' }, `${t('outbox.reason')}: ${outbox.reason(item)}`) : null,
    item.state === 'failed' ? h('button.danger', {
      type: 'button', 'data-testid': 'outbox-delete',
      'aria-label': `${t('outbox.delete')} ${t(`outbox.kind.${item.kind}`)} ${item.label}`,
      onclick: async () => { if (window.confirm(t('outbox.confirmdelete'))) await outbox.remove(item.id); },
    }, t('outbox.delete')) : null)));
  }
  return { panel, refresh };
}

function recentPanel() {
  const list = h('ul.recent', { 'data-testid': 'outbox-recent' });
  const panel = h('section.card', { 'aria-labelledby': 'recent-h' }, h('h2', { id: 'recent-h' }, t('today.recent')), list);
  function refresh() {
    const me = current() && current().id;
    const mine = outbox.recent().filter((r) => r.account === me).slice(0, 8);
    if (!mine.length) { clear(list, h('li.empty', t('today.recent.none'))); return; }
    clear(list, mine.map((r) => {
      let extra = '';
      if (r.kind === 'patrol' && r.answer && r.answer.patrol) {
        const p = r.answer.patrol;
        extra = p.inside ? t('today.inside', '', { grid: p.located_grid_code }) : t('today.outside', '', { grid: p.located_grid_code || '—' });
      }
      return h('li', { 'data-testid': 'recent-item', dataset: { kind: r.kind, clientId: r.id } },
        h('strong', t(`outbox.kind.${r.kind}`, t('outbox.kind.other'))), ' ', r.label,
        h('small', ` · ${fmtTime(r.sent_at)}`), extra ? h('div.hint', extra) : null);
    }));
  }
  return { panel, refresh };
}

// --- the page --------------------------------------------------------------------------------
register({
  path: '/today', title: 'today.title', order: 5,
  roles: ['grid_worker', 'grid_chief', 'community_officer', 'admin'],
  async render(page) {
    page.classList.add('today');   // today.css applies to this page only
    const me = current();
    const root = scope();
    const state = { households: [], notVisited: [], grids: [], catalogue: null, geometry: null, gridName: root };
    const ob = outboxPanel();
    const rec = recentPanel();
    const refreshAll = () => { ob.refresh(); rec.refresh(); };
    window.addEventListener(outbox.CHANGED, refreshAll);
    window.addEventListener('online', refreshAll);
    window.addEventListener('offline', refreshAll);
    const timer = setInterval(ob.refresh, 10000);

    const today = new Date().toLocaleDateString(currentLang() === 'zh' ? 'zh-CN' : 'en', { month: 'long', day: 'numeric', weekday: 'long' });
    const todo = h('section.card.todo', { 'data-testid': 'todo', 'aria-labelledby': 'todo-h' }, h('h2', { id: 'todo-h' }, t('today.todo')));
    const todoNote = h('p.hint', { 'data-testid': 'todo-cached', hidden: true }, t('today.cached'));
    const boxes = {
      target: h('div', { 'data-testid': 'todo-target' }),
      tickets: h('div', { 'data-testid': 'todo-tickets' }),
      followups: h('div', { 'data-testid': 'todo-followups' }),
      visits: h('div', { 'data-testid': 'todo-visits' }),
      campaigns: h('div', { 'data-testid': 'todo-campaigns' }),
    };
    todo.append(todoNote, boxes.target, boxes.tickets, boxes.followups, boxes.visits, boxes.campaigns);

    // patrol check-in
    const checkinSay = h('div', { 'data-testid': 'checkin-status', 'aria-live': 'polite' });
    const checkinButton = h('button.primary.big', { type: 'button', 'data-testid': 'checkin-button' }, t('today.checkin.button'));
    checkinButton.addEventListener('click', async () => {
      checkinButton.disabled = true;
      clear(checkinSay, h('p.say', t('today.locating')));
      try {
        const pos = await position();
        const { longitude: lon, latitude: lat, accuracy } = pos.coords;
        const where = t('today.position', '', { lat: lat.toFixed(5), lon: lon.toFixed(5), acc: Math.round(accuracy || 0) });
        const local = inside([lon, lat], state.geometry);
        const localText = local === null ? '' : t(local ? 'today.inside.local' : 'today.outside.local', '', { grid: state.gridName });
        const result = await outbox.enqueue('patrol', '/patrols', {
          lon, lat, crs: 'wgs84', occurred_at: new Date(pos.timestamp || Date.now()).toISOString(),
        }, { label: `${lat.toFixed(5)}, ${lon.toFixed(5)}` });
        let detail = '';
        if (result.state === 'sent' && result.answer && result.answer.patrol) {
          const p = result.answer.patrol;
          detail = p.inside ? t('today.inside', '', { grid: p.located_grid_code }) : t('today.outside', '', { grid: p.located_grid_code || '—' });
        }
        const [text, kind] = outcomeText(result, 'today.checkin', detail);
        clear(checkinSay, h(`p.say.${kind}`, { dataset: { state: result.state } }, text),
          h('p.hint', where), localText ? h('p.hint', localText) : null);
      } catch (err) {
        clear(checkinSay, h('p.say.bad', { role: 'alert' }, err.message));
      } finally {
        checkinButton.disabled = false;
      }
    });
    const checkin = h('section.card', { 'data-testid': 'checkin', id: 'checkin', 'aria-labelledby': 'checkin-h' },
      h('h2', { id: 'checkin-h' }, t('today.checkin')), h('p.hint', t('today.checkin.lead')), checkinButton, checkinSay);

    // household visit
    const household = h('select', { name: 'household_id', required: true, 'data-testid': 'visit-household' });
    const notes = h('textarea', { name: 'notes', required: true, maxlength: 2000, 'data-testid': 'visit-notes' });
    const visitSay = h('div', { 'data-testid': 'visit-status', 'aria-live': 'polite' });
    const visitForm = h('form.card', {
      'data-testid': 'visit-form', id: 'visit', 'aria-labelledby': 'visit-h', novalidate: false,
      onsubmit: async (e) => {
        e.preventDefault();
        if (!visitForm.reportValidity()) return;
        const chosen = household.selectedOptions[0];
        const result = await outbox.enqueue('visit', '/visits', {
          household_id: household.value, notes: notes.value.trim(), occurred_at: new Date().toISOString(),
        }, { label: chosen ? chosen.textContent : household.value });
        say(visitSay, outcomeText(result, 'today.visit'));
        if (result.state !== 'failed') notes.value = '';
      },
    }, h('h2', { id: 'visit-h' }, t('today.visit')),
    field(t('today.visit.household'), household),
    field(t('today.visit.notes'), notes, t('today.visit.notes.hint')),
    h('button.primary', { type: 'submit', 'data-testid': 'visit-submit' }, t('today.visit.submit')), visitSay);

    // sentiment record
    const sGrid = h('select', { name: 'grid_code', required: true, 'data-testid': 'sentiment-grid' });
    const sHousehold = h('select', { name: 'household_id', 'data-testid': 'sentiment-household' });
    const sCategory = h('select', { name: 'category', required: true, 'data-testid': 'sentiment-category' });
    const sSource = h('select', { name: 'source', required: true, 'data-testid': 'sentiment-source' });
    const sContent = h('textarea', { name: 'content', required: true, minlength: 2, maxlength: 2000, 'data-testid': 'sentiment-content' });
    const sentimentSay = h('div', { 'data-testid': 'sentiment-status', 'aria-live': 'polite' });
    const sentimentForm = h('form.card', {
      'data-testid': 'sentiment-form', id: 'sentiment', 'aria-labelledby': 'sentiment-h',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!sentimentForm.reportValidity()) return;
        const body = { grid_code: sGrid.value, category: sCategory.value, source: sSource.value,
          content: sContent.value.trim(), occurred_at: new Date().toISOString() };
        if (sHousehold.value) body.household_id = sHousehold.value;
        const result = await outbox.enqueue('sentiment', '/sentiments', body,
          { label: `${sCategory.selectedOptions[0]?.textContent || ''} · ${body.content.slice(0, 20)}` });
        say(sentimentSay, outcomeText(result, 'today.sentiment'));
        if (result.state !== 'failed') sContent.value = '';
      },
    }, h('h2', { id: 'sentiment-h' }, t('today.sentiment')),
    field(t('today.sentiment.grid'), sGrid),
    field(t('today.sentiment.household'), sHousehold),
    h('div.row', field(t('today.sentiment.category'), sCategory), field(t('today.sentiment.source'), sSource)),
    field(t('today.sentiment.content'), sContent, t('today.sentiment.content.hint')),
    h('button.primary', { type: 'submit', 'data-testid': 'sentiment-submit' }, t('today.sentiment.submit')), sentimentSay);

    const jump = h('nav.jump', { 'aria-label': t('today.jump') }, h('ul',
      [['#checkin', 'today.checkin'], ['#todo-h', 'today.todo'], ['#visit', 'today.visit'], ['#sentiment', 'today.sentiment']]
        .filter(([href]) => me.person_id || href === '#todo-h')
        .map(([href, key]) => h('li', h('a', { href: '#', onclick: (e) => {
          e.preventDefault();   // the hash is the router's: scroll instead
          const target = page.querySelector(href);
          if (!target) return;
          target.scrollIntoView({ behavior: 'smooth', block: 'start' });
          const focusable = target.closest('section, form') || target;
          focusable.setAttribute('tabindex', '-1');
          focusable.focus({ preventScroll: true });
        } }, t(key))))));

    clear(page,
      h('h1', t('today.title')),
      h('p.lead', t('today.lead', '', { date: today, who: me.display_name || me.username })),
      jump, ob.panel,
      me.person_id ? checkin : h('p.say.warn', { 'data-testid': 'today-noperson' }, t('today.noperson')),
      todo,
      me.person_id ? [visitForm, sentimentForm] : null, rec.panel);
    refreshAll();

    // --- fill the selects and the to-do list -------------------------------------------------
    function fillHouseholds() {
      const notVisited = new Set(state.notVisited.map((x) => x.household_id));
      const byId = new Map();
      for (const x of state.notVisited) byId.set(x.household_id, { id: x.household_id, address: x.address, grid_code: x.grid_code });
      for (const x of state.households) if (!byId.has(x.id)) byId.set(x.id, x);
      const all = [...byId.values()];
      const keep = household.value;
      clear(household, h('option', { value: '' }, all.length ? t('today.visit.pick') : t('today.visit.none')),
        all.map((x) => h('option', { value: x.id }, `${x.address || x.id}${notVisited.has(x.id) ? ` · ${t('today.never')}` : ''}`)));
      if (keep) household.value = keep;
      const grid = sGrid.value;
      const keepS = sHousehold.value;
      clear(sHousehold, h('option', { value: '' }, t('today.sentiment.nohousehold')),
        all.filter((x) => !grid || x.grid_code === grid).map((x) => h('option', { value: x.id }, x.address || x.id)));
      if (keepS) sHousehold.value = keepS;
    }
    sGrid.addEventListener('change', fillHouseholds);

    function fillGrids() {
      const keep = sGrid.value;
      const grids = state.grids.length ? state.grids : (root ? [{ code: root, name: state.gridName || root }] : []);
      clear(sGrid, grids.map((g) => h('option', { value: g.code }, g.name ? `${g.name}（${g.code}）` : g.code)));
      if (keep) sGrid.value = keep;
    }

    function fillCatalogue(catalogue) {
      if (!catalogue) return;
      clear(sCategory, catalogue.categories.map((c) => h('option', { value: c.code }, label(c))));
      clear(sSource, catalogue.sources.map((c) => h('option', { value: c.code }, label(c))));
      sSource.value = 'patrol';
    }
    try { fillCatalogue(JSON.parse(localStorage.getItem(CATALOGUE_KEY))); } catch { /* none kept yet */ }
    fillGrids();
    fillHouseholds();

    const section = (box, title, rows, empty) => clear(box, h('h3', title),
      rows.length ? h('ul.todo-list', rows) : h('p.empty', empty));
    const doVisit = (householdId) => h('button.small', {
      type: 'button', 'data-testid': 'todo-visit',
      onclick: () => { household.value = householdId; visitForm.scrollIntoView({ block: 'start' }); notes.focus(); },
    }, t('today.dovisit'));
    let anyCached = false;
    const note = (r) => { if (r.cached) { anyCached = true; todoNote.hidden = false; } return r.data; };
    const failed = (box, title, err) => clear(box, h('h3', title), errorBox(err));

    const jobs = [];
    jobs.push(read('/sentiments/catalogue').then((r) => {
      const data = note(r);
      localStorage.setItem(CATALOGUE_KEY, JSON.stringify(data));
      fillCatalogue(data);
    }).catch((err) => { if (!sCategory.options.length) clear(sentimentSay, errorBox(err)); }));

    if (root && hasRole('grid_worker') && !hasRole('grid_chief', 'community_officer', 'admin')) {
      jobs.push(read(`/grids/${root}`, { geometry: true }).then((r) => {
        const g = note(r);
        state.geometry = g.geometry;
        state.gridName = g.name;
        fillGrids();
      }).catch(() => {}));
    }

    // a staff member's own to-do tickets; an account with no person (an officer's desk
    // account) sees the open tickets of its scope instead
    const ticketQuery = me.person_id ? { responsible: 'me', status: 'open', limit: 50 } : { root, status: 'open', limit: 50 };
    const ticketTitle = t(me.person_id ? 'today.tickets' : 'today.tickets.scope');
    jobs.push(read('/tickets', ticketQuery).then((r) => {
      const items = note(r).items;
      section(boxes.tickets, `${ticketTitle} (${items.length}${r.data.next ? '+' : ''})`, items.map((x) => h('li',
        h('a', { href: `#/tickets/${encodeURIComponent(x.id)}` }, x.number), ' ',
        h(`span.badge${x.grade === 'daily' ? '' : '.bad'}`, t(`today.grade.${x.grade}`, x.grade)), ' ',
        h('span', x.description.slice(0, 40)),
        x.resolve_due ? h('small.hint', t('today.due', '', { time: fmtTime(x.resolve_due) })) : null)),
      t('today.tickets.none'));
    }).catch((err) => failed(boxes.tickets, ticketTitle, err)));

    if (root) jobs.push(read('/follow-ups', { root, limit: 50 }).then((r) => {
      const data = note(r);
      const rows = [
        ...data.residents_overdue.map((x) => h('li', h('strong', x.name), ' ',
          Object.values(x.tag_labels || {}).map((l) => h('span.badge', typeof l === 'string' ? l : label(l))), ' ',
          h('small', x.address || ''), ' ',
          h('span.badge.bad', t('today.overdue', '', { n: x.days_overdue })),
          x.household_id ? doVisit(x.household_id) : null)),
        ...data.group_rentals_overdue.map((x) => h('li', h('strong', x.name), ' ', h('span.badge', t('today.rentals')), ' ',
          h('span.badge.bad', t('today.overdue', '', { n: x.days_overdue })))),
      ];
      section(boxes.followups, `${t('today.followups')} (${data.residents_overdue_total + data.group_rentals_overdue_total})`,
        rows, t('today.followups.none'));
    }).catch((err) => failed(boxes.followups, t('today.followups'), err)));

    if (root) {
      jobs.push(read('/coverage', { root, period: quarter(), limit: 200 }).then((r) => {
        const data = note(r);
        state.notVisited = data.households_not_visited.items;
        state.grids = Object.entries(data.by_grid).map(([code, g]) => ({ code, name: g.name }));
        if (state.grids.length === 1) state.gridName = state.grids[0].name;
        fillGrids();
        fillHouseholds();
        const shown = state.notVisited.slice(0, 8);
        section(boxes.visits, `${t('today.visitsdue')} (${data.total.not_visited})`, [
          ...shown.map((x) => h('li', h('span', x.address || x.place_code), ' ',
            h('small.hint', x.last_visited_at ? t('today.lastvisit', '', { time: fmtTime(x.last_visited_at) }) : t('today.never')),
            doVisit(x.household_id))),
          data.total.not_visited > shown.length ? h('li.hint', t('today.visitsdue.more', '', { n: data.total.not_visited - shown.length })) : null,
        ].filter(Boolean), t('today.visitsdue.none'));
        const mine = data.workers_below_target.find((w) => w.person_id === me.person_id);
        clear(boxes.target, h('h3', t('today.target')), mine
          ? h('p', { 'data-testid': 'todo-target-line' },
            mine.below.includes('patrols') ? h('span.badge.warn', t('today.target.patrols', '', { done: mine.patrols, need: mine.patrols_needed })) : null, ' ',
            mine.below.includes('visits') ? h('span.badge.warn', t('today.target.visits', '', { done: mine.households_visited, need: mine.households_needed })) : null)
          : h('p.empty', t('today.target.ok')));
      }).catch((err) => failed(boxes.visits, t('today.visitsdue'), err)));

      jobs.push(read('/households', { root, limit: 500 }).then((r) => {
        state.households = note(r).items;
        fillHouseholds();
      }).catch(() => {}));
    }

    jobs.push(read('/campaigns', { root, status: 'open', limit: 20 }).then((r) => {
      const items = note(r).items;
      section(boxes.campaigns, `${t('today.campaigns')} (${items.length})`, items.map((x) => h('li',
        h('strong', x.title), x.due_date ? h('small.hint', ` · ${t('today.duedate', '', { date: x.due_date })}`) : null)),
      t('today.campaigns.none'));
    }).catch((err) => failed(boxes.campaigns, t('today.campaigns'), err)));

    Promise.allSettled(jobs).then(() => { todo.dataset.loaded = 'true'; todo.dataset.cached = String(anyCached); });

    return () => {
      clearInterval(timer);
      window.removeEventListener(outbox.CHANGED, refreshAll);
      window.removeEventListener('online', refreshAll);
      window.removeEventListener('offline', refreshAll);
    };
  },
});
