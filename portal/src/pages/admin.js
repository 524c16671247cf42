// 系统管理: accounts, department systems' API keys, webhooks, roster and grid imports
// with the job's progress. Each tab is shown only to the roles the API admits.
import { ApiError, get, post } from '../api.js';
import { addMessages, fmtNumber, fmtTime, t } from '../i18n.js';
import { go, register } from '../router.js';
import { current, hasRole } from '../session.js';
import { clear, errorBox, field, h, load, toast } from '../ui.js';
import { guard, send } from './assess-common.js';
import { percentOf, placeOf } from './assess-pure.js';
import './assess.css';

const ROLE_KEYS = ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'grid_worker',
  'department', 'resident', 'auditor'];
const EVENTS = ['ticket_dispatched', 'sla_breached', 'ticket_reopened'];
const TABS = [
  { key: 'accounts', roles: ['admin'] },
  { key: 'keys', roles: ['admin'] },
  { key: 'webhooks', roles: ['admin', 'department'] },
  { key: 'imports', roles: ['admin', 'district_officer', 'town_leader', 'community_officer'] },
];
const STAFF_MANAGERS = ['admin', 'district_officer', 'town_leader', 'community_officer'];
const DISTRICT_WIDE = ['admin', 'district_officer'];
const POLL_MS = 1000;

addMessages({
  zh: {
    'admin.title': '系统管理', 'admin.tabs': '管理项目', 'admin.tab.accounts': '账号', 'admin.tab.keys': 'API 密钥',
    'admin.tab.webhooks': 'Webhook 订阅', 'admin.tab.imports': '导入',
    'admin.role.admin': '系统管理员', 'admin.role.district_officer': '区级指挥中心', 'admin.role.town_leader': '镇街领导',
    'admin.role.community_officer': '社区工作人员', 'admin.role.grid_chief': '网格长', 'admin.role.grid_worker': '网格员',
    'admin.role.department': '职能部门', 'admin.role.resident': '居民', 'admin.role.auditor': '审计监督员',
    'admin.any': '全部', 'admin.yes': '是', 'admin.no': '否', 'admin.filter': '筛选', 'admin.more': '加载更多',
    'admin.q': '用户名开头', 'admin.role': '角色', 'admin.disabled': '已停用', 'admin.locked': '已锁定',
    'admin.scope': '管辖范围（网格编码）', 'admin.department': '部门编码', 'admin.username': '用户名', 'admin.display_name': '姓名/名称',
    'admin.roles': '角色', 'admin.status': '状态', 'admin.last_login': '最近登录', 'admin.actions': '操作',
    'admin.active': '正常', 'admin.must_change': '须改密码', 'admin.disable': '停用', 'admin.enable': '启用',
    'admin.reset': '重置密码', 'admin.unlock': '解锁', 'admin.disable.reason': '停用原因（可不填）',
    'admin.reset.confirm': '重置 {name} 的密码？其所有登录将失效。', 'admin.reset.done': '{name} 的临时密码（只显示这一次，请当面告知本人，登录后须修改）：',
    'admin.create': '新建账号', 'admin.password': '初始密码', 'admin.person_id': '对应人员 ID（可不填）', 'admin.create.submit': '创建账号',
    'admin.created': '已创建账号 {name}', 'admin.done': '已完成', 'admin.secret.copy': '复制',
    'admin.keys.create': '新建 API 密钥', 'admin.keys.name': '系统名称', 'admin.keys.prefix': '前缀', 'admin.keys.created': '创建时间',
    'admin.keys.used': '最近使用', 'admin.keys.rotate': '轮换', 'admin.keys.revoke': '吊销', 'admin.keys.revoked': '已吊销',
    'admin.keys.secret': '新密钥（只显示这一次，请立即保存到部门系统中）：', 'admin.keys.revoke.confirm': '吊销“{name}”？使用它的系统将立即被拒绝。',
    'admin.keys.rotate.confirm': '轮换“{name}”？旧密钥立即失效。', 'admin.keys.submit': '生成密钥',
    'admin.hooks.create': '新建订阅', 'admin.hooks.url': '接收地址（https://…）', 'admin.hooks.events': '订阅的事件',
    'admin.hooks.event.ticket_dispatched': '派遣到本部门', 'admin.hooks.event.sla_breached': '本部门超时',
    'admin.hooks.event.ticket_reopened': '经办工单被重新打开', 'admin.hooks.submit': '订阅',
    'admin.hooks.secret': '签名密钥（只显示这一次，用它校验每次推送的 X-Gridgov-Signature）：',
    'admin.hooks.active': '生效中', 'admin.hooks.inactive': '已停止', 'admin.hooks.deactivate': '停止订阅',
    'admin.hooks.deactivate.confirm': '停止这个订阅？推送记录会保留。', 'admin.hooks.deliveries': '推送记录',
    'admin.hooks.replay': '重新推送', 'admin.hooks.attempts': '次数', 'admin.hooks.event': '事件', 'admin.hooks.last': '最近结果',
    'admin.hooks.delivery.pending': '待推送', 'admin.hooks.delivery.delivered': '已送达', 'admin.hooks.delivery.dead': '失败',
    'admin.imports.roster': '导入人员花名册', 'admin.imports.roster.hint': 'CSV（UTF-8 或 GBK）、XLSX、XLS 或 ODS；表头：姓名 身份证号码 手机号码 政治面貌 是否会用智能手机 网格编码 岗位 任职开始日期。全部通过才导入。',
    'admin.imports.grids': '导入网格（GeoJSON）', 'admin.imports.grids.hint': 'GeoJSON FeatureCollection；全部通过才导入，任何一个要素有问题都不会保存。',
    'admin.imports.file': '选择文件', 'admin.imports.async': '作为后台任务运行（大文件自动转为后台任务）',
    'admin.imports.submit': '开始导入', 'admin.imports.progress': '导入进度', 'admin.imports.queued': '排队中',
    'admin.imports.running': '进行中', 'admin.imports.succeeded': '已完成', 'admin.imports.failed': '失败',
    'admin.imports.roster.done': '已导入 {n} 人，{a} 个岗位', 'admin.imports.grids.done': '已导入 {n} 个网格',
    'admin.imports.bad_json': '文件不是有效的 JSON：{why}', 'admin.imports.row': '第 {row} 行', 'admin.imports.feature': '第 {i} 个要素',
    'admin.imports.nofile': '请先选择文件', 'admin.phase.reading': '读取', 'admin.phase.checking': '校验',
    'admin.phase.adding': '写入', 'admin.phase.storing': '写入',
  },
  en: {
    'admin.title': 'Administration', 'admin.tabs': 'Sections', 'admin.tab.accounts': 'Accounts', 'admin.tab.keys': 'API keys',
    'admin.tab.webhooks': 'Webhooks', 'admin.tab.imports': 'Imports',
    'admin.role.admin': 'administrator', 'admin.role.district_officer': 'district officer', 'admin.role.town_leader': 'town leader',
    'admin.role.community_officer': 'community officer', 'admin.role.grid_chief': 'grid chief', 'admin.role.grid_worker': 'grid worker',
    'admin.role.department': 'department', 'admin.role.resident': 'resident', 'admin.role.auditor': 'auditor',
    'admin.any': 'Any', 'admin.yes': 'Yes', 'admin.no': 'No', 'admin.filter': 'Filter', 'admin.more': 'Load more',
    'admin.q': 'User name starts with', 'admin.role': 'Role', 'admin.disabled': 'Disabled', 'admin.locked': 'Locked',
    'admin.scope': 'Scope (grid code)', 'admin.department': 'Department code', 'admin.username': 'User name', 'admin.display_name': 'Display name',
    'admin.roles': 'Roles', 'admin.status': 'Status', 'admin.last_login': 'Last sign-in', 'admin.actions': 'Actions',
    'admin.active': 'active', 'admin.must_change': 'must change password', 'admin.disable': 'Disable', 'admin.enable': 'Enable',
    'admin.reset': 'Reset password', 'admin.unlock': 'Unlock', 'admin.disable.reason': 'Why (optional)',
    'admin.reset.confirm': 'Reset the password of {name}? Every sign-in of it ends.', 'admin.reset.done': 'Temporary password of {name} (shown this once; tell them in person, they change it at sign-in):',
    'admin.create': 'New account', 'admin.password': 'Initial password', 'admin.person_id': 'Staff person id (optional)', 'admin.create.submit': 'Create the account',
    'admin.created': 'Account {name} created', 'admin.done': 'Done', 'admin.secret.copy': 'Copy',
    'admin.keys.create': 'New API key', 'admin.keys.name': 'System name', 'admin.keys.prefix': 'Prefix', 'admin.keys.created': 'Created',
    'admin.keys.used': 'Last used', 'admin.keys.rotate': 'Rotate', 'admin.keys.revoke': 'Revoke', 'admin.keys.revoked': 'revoked',
    'admin.keys.secret': 'The new key (shown this once; store it in the department\'s system now):', 'admin.keys.revoke.confirm': 'Revoke "{name}"? Its system is refused at once.',
    'admin.keys.rotate.confirm': 'Rotate "{name}"? The old key stops at once.', 'admin.keys.submit': 'Issue the key',
    'admin.hooks.create': 'New subscription', 'admin.hooks.url': 'Receiver URL (https://…)', 'admin.hooks.events': 'Events',
    'admin.hooks.event.ticket_dispatched': 'dispatched to the department', 'admin.hooks.event.sla_breached': 'the department\'s clock ran out',
    'admin.hooks.event.ticket_reopened': 'a ticket it worked on reopened', 'admin.hooks.submit': 'Subscribe',
    'admin.hooks.secret': 'Signing secret (shown this once; verify X-Gridgov-Signature with it):',
    'admin.hooks.active': 'active', 'admin.hooks.inactive': 'stopped', 'admin.hooks.deactivate': 'Stop',
    'admin.hooks.deactivate.confirm': 'Stop this subscription? Its delivery log stays.', 'admin.hooks.deliveries': 'Deliveries',
    'admin.hooks.replay': 'Send again', 'admin.hooks.attempts': 'Attempts', 'admin.hooks.event': 'Event', 'admin.hooks.last': 'Last result',
    'admin.hooks.delivery.pending': 'pending', 'admin.hooks.delivery.delivered': 'delivered', 'admin.hooks.delivery.dead': 'dead',
    'admin.imports.roster': 'Import a staff roster', 'admin.imports.roster.hint': 'CSV (UTF-8 or GBK), XLSX, XLS or ODS; headers 姓名 身份证号码 手机号码 政治面貌 是否会用智能手机 网格编码 岗位 任职开始日期. All or nothing.',
    'admin.imports.grids': 'Import grids (GeoJSON)', 'admin.imports.grids.hint': 'A GeoJSON FeatureCollection; all or nothing: one failing feature stores nothing.',
    'admin.imports.file': 'File', 'admin.imports.async': 'Run as a background job (large files always are)',
    'admin.imports.submit': 'Import', 'admin.imports.progress': 'Import progress', 'admin.imports.queued': 'queued',
    'admin.imports.running': 'running', 'admin.imports.succeeded': 'done', 'admin.imports.failed': 'failed',
    'admin.imports.roster.done': '{n} people imported, {a} posts', 'admin.imports.grids.done': '{n} grids imported',
    'admin.imports.bad_json': 'The file is not valid JSON: {why}', 'admin.imports.row': 'row {row}', 'admin.imports.feature': 'feature {i}',
    'admin.imports.nofile': 'Choose a file first', 'admin.phase.reading': 'reading', 'admin.phase.checking': 'checking',
    'admin.phase.adding': 'adding', 'admin.phase.storing': 'storing',
  },
});

const roleName = (r) => t(`admin.role.${r}`, r);
const canSee = (tab) => hasRole(...tab.roles);

/** A secret shown once, with a copy button. */
function secretBox(text, secret) {
  const code = h('code', { 'data-testid': 'secret' }, secret);
  return h('div.as-secret', { role: 'status' }, h('p', text), code,
    h('button', {
      type: 'button', onclick: async () => {
        try { await navigator.clipboard.writeText(secret); toast(t('admin.done'), 'ok'); } catch { window.getSelection().selectAllChildren(code); }
      },
    }, t('admin.secret.copy')));
}

/** A paged list: fetch(after) => {items, next}; row(item) => <tr>; head: labels. */
function pagedTable({ head, fetch, row, testid }) {
  const body = h('tbody');
  const box = h('div');
  const more = h('p');
  const items = [];
  const redraw = () => {
    clear(body, items.map(row));
  };
  const next = async (after) => {
    const page = await fetch(after);
    items.push(...page.items);
    if (!items.length) clear(box, h('p.empty', t('app.none')));
    else {
      clear(box, h('div.table-wrap', h('table.stack.as-table', { 'data-testid': testid },
        h('thead', h('tr', head.map((c) => h('th', { scope: 'col' }, c)))), body)));
      redraw();
    }
    clear(more, page.next ? h('button', {
      type: 'button', onclick: async (e) => {
        e.currentTarget.disabled = true;
        try { await next(page.next); } catch (err) { clear(more, errorBox(err)); }
      },
    }, t('admin.more')) : null);
  };
  const reload = async () => {
    items.length = 0;
    clear(box, h('p.loading', t('app.loading')));
    try { await next(); } catch (err) { clear(box, errorBox(err, reload)); }
  };
  const replace = (old, fresh) => {
    const i = items.indexOf(old);
    if (i >= 0) items[i] = fresh;
    redraw();
  };
  return { element: h('div', box, more), reload, replace, items };
}

const td = (labelText, ...children) => h('td', { dataset: { label: labelText } }, ...children);

let focusTabs = false;

register({
  path: '/admin', title: 'admin.title', order: 90, roles: ['admin', 'district_officer', 'town_leader', 'community_officer', 'department'],
  async render(page, params, query) {
    const alive = guard('/admin');
    const tabs = TABS.filter(canSee);
    const active = tabs.find((tab) => tab.key === query.tab) || tabs[0];
    const panel = h('section', { role: 'tabpanel', id: 'admin-panel', 'aria-labelledby': `tab-${active.key}`, tabindex: '0' });
    const buttons = tabs.map((tab, i) => h('button', {
      type: 'button', role: 'tab', id: `tab-${tab.key}`, 'aria-selected': String(tab === active), 'aria-controls': 'admin-panel',
      tabindex: tab === active ? '0' : '-1', 'data-testid': `tab-${tab.key}`,
      onclick: () => { focusTabs = true; go(`/admin?tab=${tab.key}`); },
      onkeydown: (e) => {
        const step = { ArrowRight: 1, ArrowLeft: -1 }[e.key];
        if (step) { e.preventDefault(); focusTabs = true; go(`/admin?tab=${tabs[(i + step + tabs.length) % tabs.length].key}`); }
        if (e.key === 'Home') { e.preventDefault(); focusTabs = true; go(`/admin?tab=${tabs[0].key}`); }
        if (e.key === 'End') { e.preventDefault(); focusTabs = true; go(`/admin?tab=${tabs[tabs.length - 1].key}`); }
      },
    }, t(`admin.tab.${tab.key}`)));
    page.append(h('h1', t('admin.title')), h('div.as-tabs', { role: 'tablist', 'aria-label': t('admin.tabs') }, buttons), panel);
    if (focusTabs) { focusTabs = false; buttons[tabs.indexOf(active)].focus(); }
    const timers = new Set();
    const render = { accounts: accountsTab, keys: keysTab, webhooks: webhooksTab, imports: importsTab }[active.key];
    await render(panel, { alive, timers });
    return () => { for (const id of timers) clearTimeout(id); timers.clear(); };
  },
});

// --- accounts ---------------------------------------------------------------------------

async function accountsTab(panel) {
  const me = current();
  const filters = {};
  const q = h('input', { name: 'q', autocomplete: 'off', maxlength: 64 });
  const role = h('select', { name: 'role' }, h('option', { value: '' }, t('admin.any')), ROLE_KEYS.map((r) => h('option', { value: r }, roleName(r))));
  const yesNo = (name) => h('select', { name }, h('option', { value: '' }, t('admin.any')), h('option', { value: 'true' }, t('admin.yes')),
    h('option', { value: 'false' }, t('admin.no')));
  const disabled = yesNo('disabled');
  const locked = yesNo('locked');
  const scopeIn = h('input', { name: 'scope', inputmode: 'numeric', autocomplete: 'off' });
  const dept = h('input', { name: 'department_code', autocomplete: 'off' });
  const out = h('div', { 'aria-live': 'polite' });

  const isLocked = (a) => a.locked_until && new Date(a.locked_until) > new Date();
  const act = async (button, call, after) => {
    button.disabled = true;
    clear(out);
    try { const answer = await call(); after(answer); } catch (err) { clear(out, errorBox(err)); button.disabled = false; }
  };
  const list = pagedTable({
    testid: 'accounts',
    head: [t('admin.username'), t('admin.display_name'), t('admin.roles'), t('admin.scope'), t('admin.status'), t('admin.last_login'), t('admin.actions')],
    fetch: (after) => get('/accounts', { ...filters, limit: 50, after }),
    row: (a) => h('tr', { dataset: { account: a.username } },
      td(t('admin.username'), h('strong', a.username)),
      td(t('admin.display_name'), a.display_name),
      td(t('admin.roles'), a.roles.map(roleName).join('、')),
      td(t('admin.scope'), a.grid_scope || a.department_code || '—'),
      td(t('admin.status'), h('span.row', { style: { gap: '.3em' } },
        a.disabled ? h('span.badge.bad', t('admin.disabled')) : h('span.badge.ok', t('admin.active')),
        isLocked(a) ? h('span.badge.warn', t('admin.locked')) : null,
        a.must_change_password ? h('span.badge', t('admin.must_change')) : null)),
      td(t('admin.last_login'), fmtTime(a.last_login_at)),
      td(t('admin.actions'), a.id === me.id ? '—' : h('div.as-actions',
        a.disabled
          ? h('button', { type: 'button', 'aria-label': `${t('admin.enable')} ${a.username}`,
            onclick: (e) => act(e.currentTarget, () => post(`/accounts/${a.id}/enable`, {}), (fresh) => { list.replace(a, fresh); toast(t('admin.done'), 'ok'); }) }, t('admin.enable'))
          : h('button.danger', { type: 'button', 'aria-label': `${t('admin.disable')} ${a.username}`,
            onclick: (e) => {
              const reason = window.prompt(t('admin.disable.reason'), '');
              if (reason === null) return;
              act(e.currentTarget, () => post(`/accounts/${a.id}/disable`, { reason: reason.trim() || null }),
                (fresh) => { list.replace(a, { ...a, ...fresh, disabled: true }); toast(t('admin.done'), 'ok'); });
            } }, t('admin.disable')),
        h('button', { type: 'button', 'aria-label': `${t('admin.reset')} ${a.username}`,
          onclick: (e) => {
            if (!window.confirm(t('admin.reset.confirm', undefined, { name: a.username }))) return;
            act(e.currentTarget, () => post(`/accounts/${a.id}/reset-password`, {}), (answer) => {
              clear(out, secretBox(t('admin.reset.done', undefined, { name: a.username }), answer.temporary_password));
              list.replace(a, { ...a, must_change_password: true, locked_until: null });
              out.scrollIntoView({ block: 'nearest' });
            });
          } }, t('admin.reset')),
        isLocked(a) ? h('button', { type: 'button', 'aria-label': `${t('admin.unlock')} ${a.username}`,
          onclick: (e) => act(e.currentTarget, () => post(`/accounts/${a.id}/unlock`, {}), (fresh) => { list.replace(a, fresh); toast(t('admin.done'), 'ok'); }) },
        t('admin.unlock')) : null))),
  });

  const filterForm = h('form', {
    'aria-label': t('admin.filter'),
    onsubmit: (e) => {
      e.preventDefault();
      for (const k of Object.keys(filters)) delete filters[k];
      Object.assign(filters, Object.fromEntries(Object.entries({
        q: q.value.trim(), role: role.value, disabled: disabled.value, locked: locked.value, scope: scopeIn.value.trim(), department_code: dept.value.trim(),
      }).filter(([, v]) => v)));
      list.reload();
    },
  }, h('div.row', field(t('admin.q'), q), field(t('admin.role'), role), field(t('admin.disabled'), disabled),
    field(t('admin.locked'), locked), field(t('admin.scope'), scopeIn), field(t('admin.department'), dept)),
  h('button.primary', { type: 'submit' }, t('admin.filter')));

  panel.append(createAccountForm(() => list.reload()),
    h('details.card.as-more', { open: window.innerWidth > 760 }, h('summary', h('strong', t('admin.filter'))), filterForm), out, list.element);
  await list.reload();
}

function createAccountForm(done) {
  const username = h('input', { name: 'new-username', required: true, autocomplete: 'off', pattern: '[a-z0-9][a-z0-9_.\\-]{2,63}' });
  const display = h('input', { name: 'new-display_name', required: true, maxlength: 100, autocomplete: 'off' });
  const password = h('input', { name: 'new-password', type: 'password', required: true, autocomplete: 'new-password' });
  const roles = ROLE_KEYS.map((r) => h('label', h('input', { type: 'checkbox', name: 'new-roles', value: r }), roleName(r)));
  const scopeIn = h('input', { name: 'new-grid_scope', inputmode: 'numeric', autocomplete: 'off' });
  const dept = h('input', { name: 'new-department_code', autocomplete: 'off' });
  const person = h('input', { name: 'new-person_id', autocomplete: 'off' });
  const out = h('div', { 'aria-live': 'polite' });
  const submit = h('button.primary', { type: 'submit' }, t('admin.create.submit'));
  const form = h('form', {
    'data-testid': 'account-create',
    onsubmit: async (e) => {
      e.preventDefault();
      const chosen = roles.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value);
      submit.disabled = true;
      clear(out);
      try {
        const a = await post('/accounts', {
          username: username.value.trim(), display_name: display.value.trim(), password: password.value, roles: chosen,
          grid_scope: scopeIn.value.trim() || null, department_code: dept.value.trim() || null, person_id: person.value.trim() || null,
        });
        toast(t('admin.created', undefined, { name: a.username }), 'ok');
        clear(out, h('p', { role: 'status' }, t('admin.created', undefined, { name: a.username })));
        form.reset();
        done();
      } catch (err) { clear(out, errorBox(err)); } finally { submit.disabled = false; }
    },
  }, h('div.row', field(t('admin.username'), username), field(t('admin.display_name'), display), field(t('admin.password'), password)),
  h('fieldset.as-choices', h('legend', t('admin.roles')), roles),
  h('div.row', field(t('admin.scope'), scopeIn), field(t('admin.department'), dept), field(t('admin.person_id'), person)),
  out, submit);
  return h('details.card.as-more', h('summary', h('strong', t('admin.create'))), form);
}

// --- API keys ---------------------------------------------------------------------------

async function keysTab(panel) {
  const out = h('div', { 'aria-live': 'polite' });
  const act = async (button, confirmText, call, after) => {
    if (!window.confirm(confirmText)) return;
    button.disabled = true;
    clear(out);
    try { after(await call()); } catch (err) { clear(out, errorBox(err)); button.disabled = false; }
  };
  const list = pagedTable({
    testid: 'api-keys',
    head: [t('admin.keys.name'), t('admin.keys.prefix'), t('admin.department'), t('admin.keys.created'), t('admin.keys.used'), t('admin.status'), t('admin.actions')],
    fetch: (after) => get('/api-keys', { limit: 50, after }),
    row: (k) => h('tr', { dataset: { key: k.id } },
      td(t('admin.keys.name'), h('strong', k.name)),
      td(t('admin.keys.prefix'), h('code', k.prefix)),
      td(t('admin.department'), k.department_code),
      td(t('admin.keys.created'), fmtTime(k.created_at)),
      td(t('admin.keys.used'), fmtTime(k.last_used_at)),
      td(t('admin.status'), k.revoked_at ? h('span.badge.bad', t('admin.keys.revoked')) : h('span.badge.ok', t('admin.active'))),
      td(t('admin.actions'), k.revoked_at ? '—' : h('div.as-actions',
        h('button', { type: 'button', 'aria-label': `${t('admin.keys.rotate')} ${k.name}`,
          onclick: (e) => act(e.currentTarget, t('admin.keys.rotate.confirm', undefined, { name: k.name }), () => post(`/api-keys/${k.id}/rotate`, {}),
            (fresh) => { clear(out, secretBox(t('admin.keys.secret'), fresh.key)); list.reload(); }) }, t('admin.keys.rotate')),
        h('button.danger', { type: 'button', 'aria-label': `${t('admin.keys.revoke')} ${k.name}`,
          onclick: (e) => act(e.currentTarget, t('admin.keys.revoke.confirm', undefined, { name: k.name }), () => post(`/api-keys/${k.id}/revoke`, {}),
            (fresh) => { list.replace(k, fresh); toast(t('admin.done'), 'ok'); }) }, t('admin.keys.revoke'))))),
  });

  const departments = await get('/departments', { limit: 200 }).then((p) => p.items).catch(() => []);
  const dept = h('input', { name: 'key-department_code', required: true, list: 'admin-departments', autocomplete: 'off' });
  const name = h('input', { name: 'key-name', required: true, maxlength: 100, autocomplete: 'off' });
  const submit = h('button.primary', { type: 'submit' }, t('admin.keys.submit'));
  const form = h('form', {
    'data-testid': 'key-create',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      clear(out);
      try {
        const k = await post('/api-keys', { department_code: dept.value.trim(), name: name.value.trim() });
        clear(out, secretBox(t('admin.keys.secret'), k.key));
        form.reset();
        list.reload();
      } catch (err) { clear(out, errorBox(err)); } finally { submit.disabled = false; }
    },
  }, h('datalist', { id: 'admin-departments' }, departments.map((d) => h('option', { value: d.code }, d.name))),
  h('div.row', field(t('admin.department'), dept), field(t('admin.keys.name'), name)), submit);
  panel.append(h('details.card.as-more', { open: true }, h('summary', h('strong', t('admin.keys.create'))), form), out, list.element);
  await list.reload();
}

// --- webhooks ---------------------------------------------------------------------------

async function webhooksTab(panel) {
  const isAdmin = hasRole('admin');
  const out = h('div', { 'aria-live': 'polite' });
  const deliveries = h('section.card', { hidden: true, id: 'deliveries', tabindex: '-1', 'data-testid': 'deliveries' });
  const list = pagedTable({
    testid: 'webhooks',
    head: [t('admin.department'), t('admin.hooks.url'), t('admin.hooks.events'), t('admin.status'), t('admin.keys.created'), t('admin.actions')],
    fetch: (after) => get('/webhooks', { limit: 50, after }),
    row: (s) => h('tr', { dataset: { subscription: s.id } },
      td(t('admin.department'), s.department_code),
      td(t('admin.hooks.url'), h('code', { style: { wordBreak: 'break-all' } }, s.url)),
      td(t('admin.hooks.events'), s.events.map((e) => t(`admin.hooks.event.${e}`, e)).join('、')),
      td(t('admin.status'), s.active ? h('span.badge.ok', t('admin.hooks.active')) : h('span.badge', t('admin.hooks.inactive'))),
      td(t('admin.keys.created'), fmtTime(s.created_at)),
      td(t('admin.actions'), h('div.as-actions',
        h('button', { type: 'button', 'aria-controls': 'deliveries', onclick: () => showDeliveries(s) }, t('admin.hooks.deliveries')),
        s.active ? h('button.danger', { type: 'button', onclick: async (e) => {
          if (!window.confirm(t('admin.hooks.deactivate.confirm'))) return;
          const b = e.currentTarget;
          b.disabled = true;
          try { list.replace(s, await post(`/webhooks/${s.id}/deactivate`, {})); } catch (err) { clear(out, errorBox(err)); b.disabled = false; }
        } }, t('admin.hooks.deactivate')) : null))),
  });

  async function showDeliveries(s) {
    deliveries.hidden = false;
    await load(deliveries, async () => {
      const page = await get(`/webhooks/${s.id}/deliveries`, { limit: 100 });
      return [h('div.row', h('h2', { style: { marginRight: 'auto' } }, t('admin.hooks.deliveries'), ' · ', h('code', s.url)),
        h('button', { type: 'button', onclick: () => { deliveries.hidden = true; } }, t('app.close'))),
      page.items.length ? h('div.table-wrap', h('table.stack.as-table',
        h('thead', h('tr', [t('admin.hooks.event'), t('admin.status'), t('admin.hooks.attempts'), t('admin.hooks.last'), t('admin.keys.created'), t('admin.actions')]
          .map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', page.items.map((d) => h('tr',
          td(t('admin.hooks.event'), t(`admin.hooks.event.${d.event_type}`, d.event_type)),
          td(t('admin.status'), h(`span.badge${d.status === 'dead' ? '.bad' : d.status === 'delivered' ? '.ok' : '.warn'}`, t(`admin.hooks.delivery.${d.status}`, d.status))),
          td(t('admin.hooks.attempts'), fmtNumber(d.attempts)),
          td(t('admin.hooks.last'), d.last_status_code ? `HTTP ${d.last_status_code}` : d.last_error || '—'),
          td(t('admin.keys.created'), fmtTime(d.created_at)),
          td(t('admin.actions'), d.status === 'dead' ? h('button', { type: 'button', onclick: async (e) => {
            const b = e.currentTarget;
            b.disabled = true;
            try { await post(`/webhooks/deliveries/${d.id}/replay`, {}); toast(t('admin.done'), 'ok'); showDeliveries(s); } catch (err) { toast(errorBox(err).textContent, 'error'); b.disabled = false; }
          } }, t('admin.hooks.replay')) : '—')))))) : h('p.empty', t('app.none'))];
    });
    deliveries.focus();
  }

  const url = h('input', { name: 'hook-url', type: 'url', required: true, maxlength: 500, autocomplete: 'off', placeholder: 'https://' });
  const events = EVENTS.map((e) => h('label', h('input', { type: 'checkbox', name: 'hook-events', value: e, defaultChecked: true }), t(`admin.hooks.event.${e}`)));
  const dept = h('input', { name: 'hook-department_code', required: true, autocomplete: 'off' });
  const submit = h('button.primary', { type: 'submit' }, t('admin.hooks.submit'));
  const form = h('form', {
    'data-testid': 'webhook-create',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      clear(out);
      try {
        const body = { url: url.value.trim(), events: events.map((l) => l.firstChild).filter((c) => c.checked).map((c) => c.value) };
        if (isAdmin) body.department_code = dept.value.trim();
        const made = await post('/webhooks', body);
        clear(out, secretBox(t('admin.hooks.secret'), made.secret));
        form.reset();
        list.reload();
      } catch (err) { clear(out, errorBox(err)); } finally { submit.disabled = false; }
    },
  }, h('div.row', field(t('admin.hooks.url'), url), isAdmin ? field(t('admin.department'), dept) : null),
  h('fieldset.as-choices', h('legend', t('admin.hooks.events')), events), submit);
  panel.append(h('details.card.as-more', h('summary', h('strong', t('admin.hooks.create'))), form), out, list.element, deliveries);
  await list.reload();
}

// --- imports with the job's progress ---------------------------------------------------------

async function importsTab(panel, { alive, timers }) {
  if (hasRole(...STAFF_MANAGERS)) panel.append(importCard('roster', alive, timers));
  if (hasRole(...DISTRICT_WIDE)) panel.append(importCard('grids', alive, timers));
}

function importCard(kind, alive, timers) {
  const file = h('input', {
    type: 'file', name: `${kind}-file`, required: true, 'data-testid': `${kind}-file`,
    accept: kind === 'roster' ? '.csv,.xlsx,.xls,.ods,text/csv' : '.geojson,.json,application/geo+json,application/json',
  });
  const asJob = h('input', { type: 'checkbox', name: `${kind}-async` });
  const out = h('div', { 'aria-live': 'polite', 'data-testid': `${kind}-result` });
  const submit = h('button.primary', { type: 'submit' }, t('admin.imports.submit'));

  const finished = (result) => (kind === 'roster'
    ? t('admin.imports.roster.done', undefined, { n: result.imported, a: result.assignments })
    : t('admin.imports.grids.done', undefined, { n: result.imported }));
  const failure = (err) => {
    const errors = (err.details && err.details.errors) || [];
    const where = (x) => {
      const at = placeOf(x);
      if (!at) return '';
      return at.kind === 'row' ? `${t('admin.imports.row', undefined, { row: at.row })}${at.column ? ` · ${at.column}` : ''}: `
        : `${t('admin.imports.feature', undefined, { i: at.i })}${at.code ? ` (${at.code})` : ''}: `;
    };
    return h('div', errorBox(err), errors.length ? h('ul.as-errors', errors.slice(0, 200).map((x) => h('li',
      where(x), x.reason || x.message || JSON.stringify(x)))) : null);
  };

  async function follow(job) {
    const bar = h('span', { style: { width: '0%' } });
    const meter = h('div.bar', {
      role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100', 'aria-valuenow': '0',
      'aria-label': t('admin.imports.progress'), 'data-testid': 'job-progress',
    }, bar);
    const words = h('span.hint');
    clear(out, h('div.as-progress', meter, words));
    const show = (j) => {
      const pct = percentOf(j);
      bar.style.width = `${pct}%`;
      meter.setAttribute('aria-valuenow', String(pct));
      const phase = j.phase ? t(`admin.phase.${j.phase}`, j.phase) : '';
      meter.setAttribute('aria-valuetext', `${t(`admin.imports.${j.status}`, j.status)} ${phase} ${j.done}/${j.total}`);
      words.textContent = `${t(`admin.imports.${j.status}`, j.status)}${phase ? ` · ${phase}` : ''} · ${fmtNumber(j.done)}/${fmtNumber(j.total)} (${pct}%)`;
      meter.dataset.status = j.status;
    };
    show(job);
    let current = job;
    while (current.status === 'queued' || current.status === 'running') {
      await new Promise((resolve) => { const id = setTimeout(() => { timers.delete(id); resolve(); }, POLL_MS); timers.add(id); });
      if (!alive()) return;
      try { current = await get(`/jobs/${encodeURIComponent(job.id)}`); } catch (err) { out.append(errorBox(err)); return; }
      show(current);
    }
    if (current.status === 'succeeded') out.append(h('p', { role: 'status' }, h('strong', finished(current.result || {}))));
    else out.append(failure(new ApiError(400, current.error || {})));
  }

  const form = h('form', {
    'data-testid': `${kind}-import`,
    onsubmit: async (e) => {
      e.preventDefault();
      const chosen = file.files && file.files[0];
      if (!chosen) { clear(out, h('p.error', t('admin.imports.nofile'))); return; }
      submit.disabled = true;
      clear(out, h('p.loading', t('app.loading')));
      try {
        let answer;
        if (kind === 'roster') {
          const data = new FormData();
          data.append('file', chosen, chosen.name);
          answer = await send('/staff/roster', { form: data, async: asJob.checked });
        } else {
          const text = await chosen.text();
          try { JSON.parse(text); } catch (err) { clear(out, h('p.error', t('admin.imports.bad_json', undefined, { why: err.message }))); return; }
          answer = await send('/grids/import', { json: text, async: asJob.checked });
        }
        if (answer.status === 202) await follow(answer.data);
        else clear(out, h('p', { role: 'status' }, h('strong', finished(answer.data))));
      } catch (err) { clear(out, failure(err)); } finally { submit.disabled = false; }
    },
  }, field(t('admin.imports.file'), file, t(`admin.imports.${kind}.hint`)),
  h('label.as-check', asJob, t('admin.imports.async')), submit, out);
  return h('section.card', h('h2', t(`admin.imports.${kind}`)), form);
}

