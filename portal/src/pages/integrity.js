// 数据真实性: the flags the detectors raised, with their evidence; auditors confirm or
// dismiss them with a note; the thresholds in force; a scan of a scope now.
import { get, post } from '../api.js';
import { addMessages, fmtNumber, fmtTime, t } from '../i18n.js';
import { go, register } from '../router.js';
import { hasRole, scope } from '../session.js';
import { clear, errorBox, field, h, load, toast } from '../ui.js';
import { guard, label, shortId } from './assess-common.js';
import './assess.css';

const STAFF_READERS = ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'grid_worker', 'auditor'];
const SUPERVISOR_READERS = ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'auditor'];
const AUDITORS = ['auditor'];
const SCANNERS = ['admin', 'district_officer', 'town_leader', 'auditor'];
const STATUSES = ['raised', 'confirmed', 'dismissed'];

addMessages({
  zh: {
    'integrity.title': '数据真实性', 'integrity.filters': '筛选', 'integrity.status': '状态', 'integrity.pattern': '异常类型',
    'integrity.period': '周期', 'integrity.root': '范围（网格编码）', 'integrity.any': '全部', 'integrity.apply': '筛选',
    'integrity.status.raised': '待核查', 'integrity.status.confirmed': '已确认', 'integrity.status.dismissed': '已排除',
    'integrity.flags': '异常标记', 'integrity.person': '人员', 'integrity.grid': '网格', 'integrity.figures': '触发数据',
    'integrity.evidence': '证据', 'integrity.raised_at': '发现时间', 'integrity.open': '查看', 'integrity.close': '关闭',
    'integrity.detail': '异常标记详情', 'integrity.deduction': '扣分', 'integrity.reviews': '核查记录',
    'integrity.review': '核查结论', 'integrity.decision': '结论', 'integrity.confirm': '确认属实（扣分）',
    'integrity.dismiss': '排除（不扣分）', 'integrity.note': '核查说明（核查了什么）', 'integrity.submit': '提交核查结论',
    'integrity.reviewed': '已提交核查结论', 'integrity.evidence.kind': '类型', 'integrity.evidence.at': '时间',
    'integrity.evidence.text': '内容', 'integrity.evidence.where': '位置', 'integrity.texts_missing': '以下类型的内容暂时取不到：{kinds}',
    'integrity.thresholds': '判定阈值', 'integrity.thresholds.version': '第 {v} 版', 'integrity.thresholds.default': '出厂默认',
    'integrity.threshold': '阈值', 'integrity.value': '取值', 'integrity.unit': '单位', 'integrity.why': '依据',
    'integrity.scan': '立即扫描', 'integrity.scan.scope': '扫描范围（网格编码）', 'integrity.scan.period': '月份或季度',
    'integrity.scan.submit': '开始扫描', 'integrity.scan.done': '扫描完成：{people} 人，{facts} 条记录，发现 {seen} 处异常，新增 {new} 处',
    'integrity.more': '加载更多', 'integrity.count': '{n} 条', 'integrity.reviewer': '核查人',
    'integrity.kind.ticket': '事件', 'integrity.kind.patrol': '巡查', 'integrity.kind.visit': '走访', 'integrity.kind.rating': '评价',
    'integrity.only_auditors': '只有审计监督员可以核查异常标记。',
  },
  en: {
    'integrity.title': 'Data integrity', 'integrity.filters': 'Filters', 'integrity.status': 'Status', 'integrity.pattern': 'Pattern',
    'integrity.period': 'Period', 'integrity.root': 'Scope (grid code)', 'integrity.any': 'Any', 'integrity.apply': 'Filter',
    'integrity.status.raised': 'to review', 'integrity.status.confirmed': 'confirmed', 'integrity.status.dismissed': 'dismissed',
    'integrity.flags': 'Flags', 'integrity.person': 'Person', 'integrity.grid': 'Grid', 'integrity.figures': 'Figures',
    'integrity.evidence': 'Evidence', 'integrity.raised_at': 'Raised', 'integrity.open': 'Open', 'integrity.close': 'Close',
    'integrity.detail': 'Flag', 'integrity.deduction': 'Deduction', 'integrity.reviews': 'Reviews',
    'integrity.review': 'Review', 'integrity.decision': 'Decision', 'integrity.confirm': 'Confirm (deducts points)',
    'integrity.dismiss': 'Dismiss (no deduction)', 'integrity.note': 'Note (what you checked)', 'integrity.submit': 'Submit the review',
    'integrity.reviewed': 'Review recorded', 'integrity.evidence.kind': 'Kind', 'integrity.evidence.at': 'When',
    'integrity.evidence.text': 'Text', 'integrity.evidence.where': 'Where', 'integrity.texts_missing': 'Texts not available for now: {kinds}',
    'integrity.thresholds': 'Thresholds', 'integrity.thresholds.version': 'version {v}', 'integrity.thresholds.default': 'shipped defaults',
    'integrity.threshold': 'Threshold', 'integrity.value': 'Value', 'integrity.unit': 'Unit', 'integrity.why': 'Why',
    'integrity.scan': 'Scan now', 'integrity.scan.scope': 'Scope (grid code)', 'integrity.scan.period': 'Month or quarter',
    'integrity.scan.submit': 'Scan', 'integrity.scan.done': 'Scanned: {people} people, {facts} facts, {seen} flags found, {new} new',
    'integrity.more': 'Load more', 'integrity.count': '{n}', 'integrity.reviewer': 'Reviewer',
    'integrity.kind.ticket': 'ticket', 'integrity.kind.patrol': 'patrol', 'integrity.kind.visit': 'visit', 'integrity.kind.rating': 'rating',
    'integrity.only_auditors': 'Only auditors review flags.',
  },
});

const statusBadge = (s) => h(`span.badge${s === 'confirmed' ? '.bad' : s === 'raised' ? '.warn' : '.ok'}`, t(`integrity.status.${s}`, s));

/** The figures that crossed the threshold: a short line for the table. */
function figuresLine(figures) {
  return Object.entries(figures || {}).map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
}

register({
  path: '/integrity', title: 'integrity.title', order: 42, roles: STAFF_READERS,
  async render(page, params, query) {
    const alive = guard('/integrity');
    const filters = {
      status: query.status || '', pattern: query.pattern || '', period: query.period || '',
      root: query.root || '',
    };
    const thresholds = await get('/integrity/thresholds').catch(() => null);
    if (!alive()) return null;
    const patterns = thresholds ? Object.entries(thresholds.document.patterns || {}) : [];
    const names = {};        // person id -> name, when the caller may read the staff record
    const detail = h('section.card.flag-detail', { 'data-testid': 'flag-detail', id: 'flag-detail', hidden: true, tabindex: '-1', 'aria-label': t('integrity.detail') });
    let openButton = null;

    const status = h('select', { name: 'status' }, h('option', { value: '' }, t('integrity.any')),
      STATUSES.map((s) => h('option', { value: s, selected: s === filters.status }, t(`integrity.status.${s}`))));
    const pattern = h('select', { name: 'pattern' }, h('option', { value: '' }, t('integrity.any')),
      patterns.map(([key, p]) => h('option', { value: key, selected: key === filters.pattern }, label(p.name) || key)));
    const period = h('input', { name: 'period', value: filters.period, placeholder: '2026-12', autocomplete: 'off' });
    const root = h('input', { name: 'root', value: filters.root, placeholder: scope() || '', inputmode: 'numeric', autocomplete: 'off' });
    const filterForm = h('form.card.as-form', {
      'aria-label': t('integrity.filters'),
      onsubmit: (e) => {
        e.preventDefault();
        const q = new URLSearchParams(Object.entries({ status: status.value, pattern: pattern.value, period: period.value.trim(), root: root.value.trim() })
          .filter(([, v]) => v));
        go(`/integrity${q.toString() ? `?${q}` : ''}`);
      },
    }, h('div.row', field(t('integrity.status'), status), field(t('integrity.pattern'), pattern),
      field(t('integrity.period'), period), field(t('integrity.root'), root)),
    h('button.primary', { type: 'submit' }, t('integrity.apply')));

    const counts = h('p.row', { 'aria-live': 'polite' });
    const listBox = h('div');
    const more = h('p');
    page.append(h('h1', t('integrity.title')), filterForm, counts, listBox, more, detail);
    if (hasRole(...SCANNERS)) page.append(scanForm());
    if (thresholds) page.append(thresholdsCard(thresholds));

    const rows = [];
    const columns = [
      { label: t('integrity.pattern'), value: (f) => label(f.pattern_name) || f.pattern },
      { label: t('integrity.person'), value: (f) => names[f.person_id] || h('code', { title: f.person_id }, shortId(f.person_id)) },
      { label: t('integrity.grid'), value: (f) => f.grid_code },
      { label: t('integrity.period'), value: (f) => f.period },
      { label: t('integrity.status'), value: (f) => statusBadge(f.status) },
      { label: t('integrity.figures'), value: (f) => h('small', figuresLine(f.figures)) },
      { label: t('integrity.evidence'), value: (f) => fmtNumber(f.evidence_count) },
      { label: t('integrity.raised_at'), value: (f) => fmtTime(f.raised_at) },
      {
        label: t('integrity.open'),
        value: (f) => h('button', {
          type: 'button', 'aria-expanded': 'false', 'aria-controls': 'flag-detail', 'data-testid': 'flag-open',
          'aria-label': `${t('integrity.open')}: ${label(f.pattern_name) || f.pattern} ${f.grid_code}`,
          onclick: (e) => openFlag(f.id, e.currentTarget),
        }, t('integrity.open')),
      },
    ];
    const draw = () => {
      clear(listBox, rows.length ? h('div.table-wrap', h('table.stack.as-table', { 'data-testid': 'flags' },
        h('caption.sr-only', t('integrity.flags')),
        h('thead', h('tr', columns.map((c) => h('th', { scope: 'col' }, c.label)))),
        h('tbody', rows.map((f) => h('tr', { dataset: { flag: f.id } },
          columns.map((c) => h('td', { dataset: { label: c.label } }, c.value(f)))))))) : h('p.empty', t('app.none')));
    };
    let countsSeen = null;
    const drawCounts = () => {
      if (countsSeen) clear(counts, h('span', t('integrity.flags')), STATUSES.map((s) => h('span', { 'data-status': s }, statusBadge(s), ' ', String(countsSeen[s] ?? 0))));
    };
    const fetchPage = async (after) => {
      const answer = await get('/integrity/flags', { ...filters, limit: 50, after });
      rows.push(...answer.items);
      await nameThem(answer.items);
      if (answer.counts) { countsSeen = { ...answer.counts }; drawCounts(); }
      draw();
      clear(more, answer.next ? h('button', {
        type: 'button', onclick: async (e) => {
          e.currentTarget.disabled = true;
          try { await fetchPage(answer.next); } catch (err) { clear(more, errorBox(err)); }
        },
      }, t('integrity.more')) : null);
    };
    async function nameThem(flags) {
      if (!hasRole(...SUPERVISOR_READERS)) return;
      const ids = [...new Set(flags.map((f) => f.person_id))].filter((id) => !(id in names)).slice(0, 30);
      await Promise.all(ids.map((id) => get(`/staff/${encodeURIComponent(id)}`)
        .then((p) => { names[id] = p.name; }).catch(() => { names[id] = null; })));
    }
    const first = async () => {
      clear(listBox, h('p.loading', t('app.loading')));
      try { await fetchPage(); } catch (err) { clear(listBox, errorBox(err, first)); }
    };
    await first();

    async function openFlag(id, button) {
      if (openButton === button && !detail.hidden) { closeFlag(); return; }
      if (openButton) openButton.setAttribute('aria-expanded', 'false');
      openButton = button;
      button.setAttribute('aria-expanded', 'true');
      detail.hidden = false;
      await load(detail, () => flagView(id));
      detail.focus();
    }
    function closeFlag() {
      detail.hidden = true;
      clear(detail);
      if (openButton) { openButton.setAttribute('aria-expanded', 'false'); openButton.focus(); }
      openButton = null;
    }

    async function flagView(id) {
      const f = await get(`/integrity/flags/${encodeURIComponent(id)}`);
      const evidence = f.evidence || [];
      const hasText = evidence.some((e) => e.text);
      const hasWhere = evidence.some((e) => e.lon !== undefined);
      return h('div',
        h('div.row', h('h2', { style: { marginRight: 'auto' } }, t('integrity.detail'), ': ', label(f.pattern_name) || f.pattern, ' ', statusBadge(f.status)),
          h('button', { type: 'button', onclick: closeFlag }, t('integrity.close'))),
        h('dl.as-figures',
          h('dt', t('integrity.person')), h('dd', names[f.person_id] || f.person_id),
          h('dt', t('integrity.grid')), h('dd', f.grid_code),
          h('dt', t('integrity.period')), h('dd', f.period),
          h('dt', t('integrity.raised_at')), h('dd', fmtTime(f.raised_at)),
          Object.entries(f.figures || {}).map(([k, v]) => [h('dt', k), h('dd', typeof v === 'object' ? JSON.stringify(v) : String(v))]),
          f.status === 'confirmed' ? [h('dt', t('integrity.deduction')), h('dd', fmtNumber(f.deduction, 2))] : null),
        h('h3', t('integrity.evidence'), ' ', h('span.badge', String(f.evidence_count))),
        evidence.length ? h('div.table-wrap', h('table.stack.as-table', { 'data-testid': 'evidence' },
          h('thead', h('tr', h('th', { scope: 'col' }, t('integrity.evidence.kind')), h('th', { scope: 'col' }, 'ID'),
            h('th', { scope: 'col' }, t('integrity.evidence.at')),
            hasWhere ? h('th', { scope: 'col' }, t('integrity.evidence.where')) : null,
            hasText ? h('th', { scope: 'col' }, t('integrity.evidence.text')) : null)),
          h('tbody', evidence.map((e) => h('tr',
            h('td', { dataset: { label: t('integrity.evidence.kind') } }, t(`integrity.kind.${e.kind}`, e.kind)),
            h('td', { dataset: { label: 'ID' } }, e.kind === 'ticket' ? h('a', { href: `#/tickets/${encodeURIComponent(e.id)}` }, shortId(e.id))
              : h('code', { title: e.id }, shortId(e.id))),
            h('td', { dataset: { label: t('integrity.evidence.at') } }, fmtTime(e.at)),
            hasWhere ? h('td', { dataset: { label: t('integrity.evidence.where') } },
              e.lon !== undefined ? `${fmtNumber(e.lon, 5)}, ${fmtNumber(e.lat, 5)}` : '—') : null,
            hasText ? h('td', { dataset: { label: t('integrity.evidence.text') } }, e.text || '—') : null))))) : h('p.empty', t('app.none')),
        f.texts_missing && f.texts_missing.length ? h('p.hint', t('integrity.texts_missing', undefined, { kinds: f.texts_missing.join(', ') })) : null,
        f.reviews && f.reviews.length ? [h('h3', t('integrity.reviews')), h('ul', f.reviews.map((r) => h('li',
          h('strong', t(`integrity.${r.decision}`, r.decision)), ` · ${r.reviewer} · ${fmtTime(r.reviewed_at)}`,
          r.deduction ? ` · ${t('integrity.deduction')} ${fmtNumber(r.deduction, 2)}` : '', h('br'), r.note)))] : null,
        f.status === 'raised' ? (hasRole(...AUDITORS) ? reviewForm(f) : h('p.hint', t('integrity.only_auditors'))) : null);
    }

    function reviewForm(f) {
      const name = `decision-${f.id}`;
      const radios = ['confirm', 'dismiss'].map((d) => h('label', h('input', { type: 'radio', name, value: d, required: true }), t(`integrity.${d}`)));
      const note = h('textarea', { name: 'note', required: true, minlength: 2, maxlength: 2000 });
      const out = h('div', { 'aria-live': 'assertive' });
      const submit = h('button.primary', { type: 'submit' }, t('integrity.submit'));
      return h('form', {
        'data-testid': 'review',
        onsubmit: async (e) => {
          e.preventDefault();
          const decision = (e.currentTarget.querySelector(`input[name="${name}"]:checked`) || {}).value;
          submit.disabled = true;
          clear(out);
          try {
            const done = await post(`/integrity/flags/${encodeURIComponent(f.id)}/review`, { decision, note: note.value.trim() });
            toast(t('integrity.reviewed'), 'ok');
            const i = rows.findIndex((r) => r.id === done.id);
            if (i >= 0) rows[i] = { ...rows[i], ...done };
            if (countsSeen && done.status !== f.status) {
              countsSeen[f.status] = Math.max(0, (countsSeen[f.status] || 0) - 1);
              countsSeen[done.status] = (countsSeen[done.status] || 0) + 1;
              drawCounts();
            }
            draw();
            await load(detail, () => flagView(f.id));
            detail.focus();
          } catch (err) { clear(out, errorBox(err)); submit.disabled = false; }
        },
      }, h('h3', t('integrity.review')),
      h('fieldset.as-choices', h('legend', t('integrity.decision')), radios),
      field(t('integrity.note'), note), out, submit);
    }

    function scanForm() {
      const sc = h('input', { name: 'scan-scope', required: true, value: filters.root || scope() || '', inputmode: 'numeric', autocomplete: 'off' });
      const d = new Date();
      const per = h('input', { name: 'scan-period', required: true, autocomplete: 'off',
        value: filters.period || `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}` });
      const out = h('div', { 'aria-live': 'polite' });
      const submit = h('button.primary', { type: 'submit' }, t('integrity.scan.submit'));
      return h('details.card.as-more', { 'data-testid': 'scan' }, h('summary', h('strong', t('integrity.scan'))), h('form', {
        onsubmit: async (e) => {
          e.preventDefault();
          submit.disabled = true;
          clear(out, h('p.loading', t('app.loading')));
          try {
            const r = await post('/integrity/scans', { scope: sc.value.trim(), period: per.value.trim() });
            clear(out, h('p', { role: 'status' }, t('integrity.scan.done', undefined, { people: r.people, facts: r.facts, seen: r.flags_seen, new: r.flags_new })));
            rows.length = 0;
            await fetchPage();
          } catch (err) { clear(out, errorBox(err)); } finally { submit.disabled = false; }
        },
      }, h('div.row', field(t('integrity.scan.scope'), sc), field(t('integrity.scan.period'), per)), submit, out));
    }

    function thresholdsCard(th) {
      return h('details.card.as-more', { 'data-testid': 'thresholds' },
        h('summary', h('strong', t('integrity.thresholds')), ' · ',
          th.version ? t('integrity.thresholds.version', undefined, { v: th.version }) : t('integrity.thresholds.default'),
          th.created_at ? ` · ${fmtTime(th.created_at)}` : ''),
        h('div.table-wrap', h('table.stack.as-table',
          h('thead', h('tr', [t('integrity.pattern'), t('integrity.threshold'), t('integrity.value'), t('integrity.unit'), t('integrity.why')]
            .map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', th.rows.map((r) => h('tr',
            h('td', { dataset: { label: t('integrity.pattern') } }, label({ zh: r.pattern_zh, en: r.pattern_en }) || r.pattern),
            h('td', { dataset: { label: t('integrity.threshold') } }, label({ zh: r.zh, en: r.en }) || r.threshold),
            h('td', { dataset: { label: t('integrity.value') } }, String(r.value)),
            h('td', { dataset: { label: t('integrity.unit') } }, r.unit || ''),
            h('td', { dataset: { label: t('integrity.why') } }, h('small', r.why || ''))))))));
    }
    return null;
  },
});

