// 发通知 (#/notices/new) and a notice's read receipts (#/notices/:id?kind=broadcast|notice).
// Two kinds, as the API has them (gateway/routes/messages.py):
//   broadcast: POST /broadcasts, to staff of a subtree and/or a role (staff managers);
//              receipts GET /broadcasts/{id} (managers and auditors)
//   notice:    POST /notices, to the residents living in a grid (field staff, seed 003's
//              residents' group); receipts GET /notices/{id}
// There is no list of sent notices in the API: this device keeps the ones it sent.
import { get, post } from '../api.js';
import { addMessages, fmtNumber, fmtPercent, fmtTime, t } from '../i18n.js';
import { go, register } from '../router.js';
import { current, hasRole, scope } from '../session.js';
import { card, clear, errorBox, field, h, stat, table } from '../ui.js';
import './messages.css';

const BROADCASTERS = ['admin', 'district_officer', 'town_leader', 'community_officer'];
const NOTIFIERS = ['admin', 'community_officer', 'grid_chief', 'grid_worker'];
const RECEIPT_READERS = { broadcast: [...BROADCASTERS, 'auditor'], notice: NOTIFIERS };
const ROLE_KEYS = ['district_officer', 'town_leader', 'community_officer', 'grid_chief', 'grid_worker', 'department', 'resident', 'auditor'];
const SENT_KEY = 'gridgov.notices.sent';

addMessages({
  zh: {
    'notices.title': '发通知', 'notices.receipts': '阅读回执', 'notices.kind': '发给谁',
    'notices.kind.broadcast': '工作人员广播', 'notices.kind.broadcast.hint': '发给管辖范围内的工作人员，可限定角色',
    'notices.kind.notice': '居民通知', 'notices.kind.notice.hint': '发给网格内居民账号的消息箱（居民群通知）',
    'notices.subject': '标题', 'notices.body': '正文', 'notices.scope': '范围（网格编码）',
    'notices.scope.hint': '不填则为您的管辖范围 {scope}', 'notices.role': '角色（可不选）', 'notices.role.any': '所有角色',
    'notices.send': '发送', 'notices.sent': '已发送给 {n} 人', 'notices.mine': '本机发出的通知',
    'notices.mine.none': '本机还没有发过通知', 'notices.recipients': '接收人数', 'notices.read': '已读',
    'notices.rate': '阅读率', 'notices.byscope': '按范围', 'notices.scopecol': '范围', 'notices.refresh': '刷新回执',
    'notices.new': '再发一条', 'notices.sender': '发送人 {who} · {time}',
  },
  en: {
    'notices.title': 'Send a notice', 'notices.receipts': 'Read receipts', 'notices.kind': 'Who gets it',
    'notices.kind.broadcast': 'Staff broadcast', 'notices.kind.broadcast.hint': 'To the staff of your scope, optionally one role',
    'notices.kind.notice': 'Residents\' notice', 'notices.kind.notice.hint': 'To the inboxes of resident accounts living in a grid',
    'notices.subject': 'Title', 'notices.body': 'Text', 'notices.scope': 'Scope (grid code)',
    'notices.scope.hint': 'Empty: your scope {scope}', 'notices.role': 'Role (optional)', 'notices.role.any': 'Every role',
    'notices.send': 'Send', 'notices.sent': 'Sent to {n} people', 'notices.mine': 'Sent from this device',
    'notices.mine.none': 'Nothing sent from this device yet', 'notices.recipients': 'Recipients', 'notices.read': 'Read',
    'notices.rate': 'Read rate', 'notices.byscope': 'By scope', 'notices.scopecol': 'Scope', 'notices.refresh': 'Refresh receipts',
    'notices.new': 'Send another', 'notices.sender': 'From {who} · {time}',
  },
});

function sentList() {
  const me = current() && current().id;
  try { return (JSON.parse(localStorage.getItem(SENT_KEY)) || []).filter((x) => x.account === me); } catch { return []; }
}
function rememberSent(kind, answer) {
  let all = [];
  try { all = JSON.parse(localStorage.getItem(SENT_KEY)) || []; } catch { /* start afresh */ }
  all.unshift({ id: answer.id, kind, title: answer.title, created_at: answer.created_at, account: current().id });
  localStorage.setItem(SENT_KEY, JSON.stringify(all.slice(0, 30)));
}

function mineCard() {
  const mine = sentList();
  return card(t('notices.mine'), mine.length
    ? h('ul', { 'data-testid': 'notices-mine' }, mine.map((x) => h('li',
      h('a', { href: `#/notices/${encodeURIComponent(x.id)}?kind=${x.kind}` }, x.title), ' ',
      h('span.badge', t(`notices.kind.${x.kind}`)), ' ', h('small', fmtTime(x.created_at)))))
    : h('p.empty', t('notices.mine.none')));
}

register({
  path: '/notices/new', title: 'notices.title', order: 81,
  roles: [...new Set([...BROADCASTERS, ...NOTIFIERS])],
  render(page) {
    const kinds = [];
    if (hasRole(...BROADCASTERS)) kinds.push('broadcast');
    if (hasRole(...NOTIFIERS)) kinds.push('notice');
    const radios = kinds.map((k, i) => h('input', { type: 'radio', name: 'kind', value: k, checked: i === 0, 'data-testid': `notice-kind-${k}` }));
    const subject = h('input', { name: 'title', required: true, maxlength: 200, 'data-testid': 'notice-title' });
    const body = h('textarea', { name: 'body', required: true, maxlength: 10000, 'data-testid': 'notice-body' });
    const scopeGrid = h('input', { name: 'scope_grid', inputmode: 'numeric', pattern: '[0-9]{1,20}', 'data-testid': 'notice-scope',
      placeholder: scope() || '' });
    const role = h('select', { name: 'scope_role', 'data-testid': 'notice-role' },
      h('option', { value: '' }, t('notices.role.any')),
      ROLE_KEYS.map((r) => h('option', { value: r }, (current().role_labels || {})[r] || r)));
    const roleField = field(t('notices.role'), role);
    const message = h('div', { 'aria-live': 'assertive', 'data-testid': 'notice-status' });
    const submit = h('button.primary', { type: 'submit', 'data-testid': 'notice-send' }, t('notices.send'));
    const kind = () => (radios.find((r) => r.checked) || radios[0]).value;
    const syncKind = () => { roleField.hidden = kind() !== 'broadcast'; };
    radios.forEach((r) => r.addEventListener('change', syncKind));

    const form = h('form.card', {
      'data-testid': 'notice-form',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!form.reportValidity()) return;
        const k = kind();
        const payload = { title: subject.value.trim(), body: body.value.trim() };
        if (scopeGrid.value.trim()) payload.scope_grid = scopeGrid.value.trim();
        if (k === 'broadcast' && role.value) payload.scope_role = role.value;
        submit.disabled = true;
        clear(message);
        try {
          const answer = await post(k === 'broadcast' ? '/broadcasts' : '/notices', payload);
          rememberSent(k, answer);
          go(`/notices/${encodeURIComponent(answer.id)}?kind=${k}&sent=${answer.recipient_count}`);
        } catch (err) {
          clear(message, errorBox(err));
        } finally {
          submit.disabled = false;
        }
      },
    },
    h('fieldset.kind-pick', h('legend', t('notices.kind')),
      kinds.map((k, i) => h('label', radios[i], h('span', h('strong', t(`notices.kind.${k}`)), h('br'),
        h('small.hint', t(`notices.kind.${k}.hint`)))))),
    field(t('notices.subject'), subject),
    field(t('notices.body'), body),
    field(t('notices.scope'), scopeGrid, scope() ? t('notices.scope.hint', '', { scope: scope() }) : null),
    roleField, message, submit);
    syncKind();
    clear(page, h('h1', t('notices.title')), form, mineCard());
  },
});

register({
  path: '/notices/:id', title: 'notices.receipts', nav: false,
  roles: [...new Set([...RECEIPT_READERS.broadcast, ...RECEIPT_READERS.notice])],
  async render(page, params, query) {
    const k = query.kind === 'notice' || (!query.kind && !hasRole(...RECEIPT_READERS.broadcast)) ? 'notice' : 'broadcast';
    const box = h('div', { 'data-testid': 'receipts' });
    const refresh = h('button', { type: 'button', 'data-testid': 'receipts-refresh' }, t('notices.refresh'));
    clear(page, h('h1', t('notices.receipts')),
      query.sent ? h('p.say.ok', { role: 'status' }, `✓ ${t('notices.sent', '', { n: query.sent })}`) : null,
      box, h('div.row', refresh, hasRole(...BROADCASTERS, ...NOTIFIERS) ? h('a', { href: '#/notices/new' }, t('notices.new')) : null));
    async function show() {
      clear(box, h('p.loading', t('app.loading')));
      try {
        const r = await get(`/${k === 'broadcast' ? 'broadcasts' : 'notices'}/${encodeURIComponent(params.id)}`);
        const rows = Object.entries(r.by_scope || {}).map(([code, f]) => ({ code, ...f }));
        clear(box,
          h('section.card', h('h2', r.title), h('p', { style: { whiteSpace: 'pre-wrap' } }, r.body),
            h('small.hint', t('notices.sender', '', { who: r.sender, time: fmtTime(r.created_at) }))),
          h('div.stats',
            stat(t('notices.recipients'), fmtNumber(r.recipients)),
            stat(t('notices.read'), h('span', { 'data-testid': 'receipts-read' }, fmtNumber(r.read))),
            stat(t('notices.rate'), h('span', { 'data-testid': 'receipts-rate' }, fmtPercent(r.read_rate)))),
          card(t('notices.byscope'), table([
            { label: t('notices.scopecol'), value: (x) => x.code },
            { label: t('notices.recipients'), value: (x) => fmtNumber(x.recipients) },
            { label: t('notices.read'), value: (x) => fmtNumber(x.read) },
            { label: t('notices.rate'), value: (x) => h('span', fmtPercent(x.read_rate),
              h('div.meter', { 'aria-hidden': 'true' }, h('span', { style: { width: `${Math.round((x.read_rate || 0) * 100)}%` } }))) },
          ], rows)));
        box.dataset.loaded = 'true';
      } catch (err) {
        clear(box, errorBox(err, show));
      }
    }
    refresh.addEventListener('click', show);
    await show();
  },
});
