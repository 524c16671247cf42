// 考核: the period's ranking, each score's breakdown and the facts behind it, the
// commendation and reminder lists, the year's consequences, the posted sheet; assessors
// run and publish.
import { get, post } from '../api.js';
import { addMessages, fmtNumber, fmtPercent, fmtTime, t } from '../i18n.js';
import { go, register } from '../router.js';
import { current, hasRole, scope } from '../session.js';
import { card, clear, errorBox, field, h, load, toast } from '../ui.js';
import { download } from '../downloads.js';
import { guard, label, shortId } from './assess-common.js';
import { ancestors, quarterOf } from './assess-pure.js';
import './assess.css';

const ASSESSORS = ['admin', 'district_officer', 'town_leader'];
const SUPERVISOR_READERS = ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'auditor'];
const MANAGER_READERS = ['admin', 'district_officer', 'town_leader', 'community_officer', 'auditor'];
const STAFF_READERS = [...SUPERVISOR_READERS, 'grid_worker'];
const RANKING_PAGE = 500;    // rankings carry no breakdowns: large pages
const RESULTS_PAGE = 100;    // results do
const MAX_RESULTS = 20000;

addMessages({
  zh: {
    'assessment.title': '考核排名', 'assessment.choose': '选择考核', 'assessment.plan': '考核方案',
    'assessment.period': '考核周期', 'assessment.period.hint': '年 2026、季度 2026-Q4 或月 2026-12',
    'assessment.scope': '考核范围（网格编码）', 'assessment.show': '查看排名', 'assessment.list': '考核批次',
    'assessment.status.draft': '草稿', 'assessment.status.published': '已公示', 'assessment.status.superseded': '已更正',
    'assessment.version': '版本', 'assessment.subjects': '对象数', 'assessment.mean': '平均分', 'assessment.open': '打开',
    'assessment.ranking': '排名', 'assessment.rank': '名次', 'assessment.name': '姓名/网格', 'assessment.grid': '所在网格',
    'assessment.role': '岗位', 'assessment.score': '得分', 'assessment.own': '本人得分', 'assessment.ranked': '排名分',
    'assessment.volume': '业务量', 'assessment.band': '等次', 'assessment.tier': '绩效档', 'assessment.flags': '结果',
    'assessment.commended': '表扬', 'assessment.reminded': '约谈提醒', 'assessment.ineligible': '业务量不足',
    'assessment.breakdown': '得分明细', 'assessment.breakdown.of': '{name} 的得分明细', 'assessment.breakdown.open': '明细',
    'assessment.breakdown.close': '收起明细', 'assessment.item': '项目', 'assessment.weight': '权重',
    'assessment.value': '原始数据', 'assessment.points': '指标得分', 'assessment.contribution': '加权得分',
    'assessment.to_total': '占总分', 'assessment.facts': '依据', 'assessment.nodata': '无数据',
    'assessment.method': '计分方法', 'assessment.refs': '全部依据记录', 'assessment.refs.load': '列出全部依据记录',
    'assessment.refs.none': '没有依据记录',
    'assessment.refs.tickets_reported': '上报的事件', 'assessment.refs.tickets_resolved': '办结的事件',
    'assessment.refs.tickets_rated': '被评价的事件', 'assessment.refs.patrols': '巡查打卡', 'assessment.refs.visits': '入户走访',
    'assessment.refs.sentiments': '民情日志', 'assessment.refs.party_service': '双报到服务',
    'assessment.refs.wishes': '点亮微心愿', 'assessment.refs.service_days': '网格服务日签到',
    'assessment.bound': '捆绑考核：本人 {own} 分，捆绑对象 {others} 分，占比 {share}',
    'assessment.shrunk': '业务量少的对象向范围平均分收缩：排名分 {ranked}（得分 {score}，业务量 {volume}）',
    'assessment.lists': '表扬与约谈名单', 'assessment.list.commended': '拟表扬（排名前列）',
    'assessment.list.reminded': '约谈提醒（排名末位）', 'assessment.list.empty': '名单为空',
    'assessment.consequences': '{year} 年度结果运用', 'assessment.consequences.none': '{year} 年还没有已公示的年度考核',
    'assessment.c.contract_review': '解聘审查', 'assessment.c.reserve_candidates': '后备干部人选',
    'assessment.c.reserve_pool': '优先纳入后备库', 'assessment.c.party_candidates': '优先入党',
    'assessment.c.employment_contract': '优先签订聘用合同', 'assessment.c.pay_tiers': '以分定绩、以绩取酬',
    'assessment.export': '导出公示表', 'assessment.export.xlsx': '导出 Excel', 'assessment.export.csv': '导出 CSV',
    'assessment.export.ready': '已生成：{name}', 'assessment.run': '发起考核', 'assessment.run.submit': '计算草稿',
    'assessment.run.done': '已计算草稿', 'assessment.publish': '公示（发布后不可修改）',
    'assessment.publish.confirm': '公示后结果不可再修改，只能更正。确定公示吗？', 'assessment.publish.done': '已公示',
    'assessment.draft.note': '这是草稿：可重新计算，公示后才进入排名。',
    'assessment.none': '这个周期和范围还没有已公示的考核', 'assessment.summary': '{n} 个对象，平均 {mean} 分，表扬 {c} 人，约谈 {r} 人',
    'assessment.published_at': '公示于 {at}', 'assessment.showing': '显示 {n} / {total}', 'assessment.more': '再显示 50 名',
    'assessment.correct': '更正', 'assessment.correct.reason': '更正原因（将随新版本公示）',
    'assessment.correct.done': '已按当前数据重算为新版本草稿，请核对后公示',
    'assessment.year': '年度', 'assessment.list.line': '{name} · {grid} · {score} 分（第 {rank} 名）',
  },
  en: {
    'assessment.title': 'Assessment ranking', 'assessment.choose': 'Choose an assessment', 'assessment.plan': 'Plan',
    'assessment.period': 'Period', 'assessment.period.hint': 'a year 2026, a quarter 2026-Q4 or a month 2026-12',
    'assessment.scope': 'Scope (grid code)', 'assessment.show': 'Show ranking', 'assessment.list': 'Assessments run',
    'assessment.status.draft': 'draft', 'assessment.status.published': 'published', 'assessment.status.superseded': 'superseded',
    'assessment.version': 'Version', 'assessment.subjects': 'Subjects', 'assessment.mean': 'Mean', 'assessment.open': 'Open',
    'assessment.ranking': 'Ranking', 'assessment.rank': 'Rank', 'assessment.name': 'Name', 'assessment.grid': 'Grid',
    'assessment.role': 'Post', 'assessment.score': 'Score', 'assessment.own': 'Own score', 'assessment.ranked': 'Ranked score',
    'assessment.volume': 'Volume', 'assessment.band': 'Band', 'assessment.tier': 'Pay tier', 'assessment.flags': 'Outcome',
    'assessment.commended': 'commended', 'assessment.reminded': 'reminder talk', 'assessment.ineligible': 'too little volume',
    'assessment.breakdown': 'Score breakdown', 'assessment.breakdown.of': 'Breakdown of {name}', 'assessment.breakdown.open': 'Breakdown',
    'assessment.breakdown.close': 'Close breakdown', 'assessment.item': 'Item', 'assessment.weight': 'Weight',
    'assessment.value': 'Raw figure', 'assessment.points': 'Points', 'assessment.contribution': 'Weighted',
    'assessment.to_total': 'Share of total', 'assessment.facts': 'Facts', 'assessment.nodata': 'no data',
    'assessment.method': 'Method', 'assessment.refs': 'Every fact behind it', 'assessment.refs.load': 'List every fact',
    'assessment.refs.none': 'No facts recorded',
    'assessment.refs.tickets_reported': 'Tickets reported', 'assessment.refs.tickets_resolved': 'Tickets resolved',
    'assessment.refs.tickets_rated': 'Tickets rated', 'assessment.refs.patrols': 'Patrols', 'assessment.refs.visits': 'Visits',
    'assessment.refs.sentiments': 'Sentiment records', 'assessment.refs.party_service': 'Party service (双报到)',
    'assessment.refs.wishes': 'Small wishes fulfilled', 'assessment.refs.service_days': 'Service-day sign-ins',
    'assessment.bound': 'Bound assessment: own {own}, bound to {others}, share {share}',
    'assessment.shrunk': 'Little volume is shrunk toward the scope\'s mean: ranked score {ranked} (score {score}, volume {volume})',
    'assessment.lists': 'Commendation and reminder lists', 'assessment.list.commended': 'To be commended (top)',
    'assessment.list.reminded': 'Reminder talks (bottom)', 'assessment.list.empty': 'Nobody',
    'assessment.consequences': 'What the street acts on for {year}', 'assessment.consequences.none': 'No published annual assessment for {year} yet',
    'assessment.c.contract_review': 'Contract review', 'assessment.c.reserve_candidates': 'Reserve cadre candidates',
    'assessment.c.reserve_pool': 'Reserve pool first', 'assessment.c.party_candidates': 'Party membership first',
    'assessment.c.employment_contract': 'Employment contract first', 'assessment.c.pay_tiers': 'Pay tiers by band',
    'assessment.export': 'Export the posted sheet', 'assessment.export.xlsx': 'Export Excel', 'assessment.export.csv': 'Export CSV',
    'assessment.export.ready': 'Ready: {name}', 'assessment.run': 'Run an assessment', 'assessment.run.submit': 'Compute a draft',
    'assessment.run.done': 'Draft computed', 'assessment.publish': 'Publish (final)',
    'assessment.publish.confirm': 'A published assessment cannot change, only be corrected. Publish?', 'assessment.publish.done': 'Published',
    'assessment.draft.note': 'A draft: run it again as you like; it ranks once published.',
    'assessment.none': 'No published assessment for this period and scope yet', 'assessment.summary': '{n} subjects, mean {mean}, {c} commended, {r} reminded',
    'assessment.published_at': 'Published {at}', 'assessment.showing': 'Showing {n} of {total}', 'assessment.more': 'Show 50 more',
    'assessment.correct': 'Correct', 'assessment.correct.reason': 'Why the correction (posted with the new version)',
    'assessment.correct.done': 'A new version was run on the data as it is now: check it, then publish',
    'assessment.year': 'Year', 'assessment.list.line': '{name} · {grid} · {score} (rank {rank})',
  },
});

const fmt = (n) => fmtNumber(n, 2);
const statusBadge = (status) => h(`span.badge${status === 'published' ? '.ok' : status === 'draft' ? '.warn' : ''}`,
  t(`assessment.status.${status}`, status));

/** The outcome badges of one result. */
function outcome(r) {
  return h('span.row', { style: { gap: '.3em' } },
    r.commended ? h('span.badge.ok', t('assessment.commended')) : null,
    r.reminded ? h('span.badge.bad', t('assessment.reminded')) : null,
    r.eligible === false ? h('span.badge', t('assessment.ineligible')) : null);
}

register({
  path: '/assessment', title: 'assessment.title', order: 40, roles: STAFF_READERS,
  async render(page, params, query) {
    const me = current();
    const alive = guard('/assessment');
    const bandNames = {};
    const band = (key) => (key ? bandNames[key] || key : '—');
    const plans = await get('/scoring/plans', { limit: 100 }).then((p) => p.items).catch(() => []);
    let runs = [];
    let runsNext = null;
    if (hasRole(...SUPERVISOR_READERS)) {
      const first = await get('/assessments', { limit: 50 }).catch(() => ({ items: [], next: null }));
      runs = first.items;
      runsNext = first.next;
    }
    if (!alive()) return null;
    // What to show: the query's, else the newest published run, else defaults.
    const published = runs.filter((a) => a.status === 'published');
    const latest = published.find((a) => /-/.test(a.period)) || published[0];
    const chosen = {
      plan: query.plan || (latest && latest.plan) || (plans[0] && plans[0].code) || '',
      period: query.period || (latest && latest.period) || quarterOf(),
      scope: query.scope || (latest && latest.scope) || scope() || '',
      id: query.id || '',
    };

    const planSelect = h('select', { name: 'plan' }, plans.map((p) => h('option', { value: p.code, selected: p.code === chosen.plan },
      `${label(p.name)} (${p.code})`)));
    if (!plans.length) planSelect.append(h('option', { value: chosen.plan }, chosen.plan || '—'));
    const periodInput = h('input', { name: 'period', value: chosen.period, required: true, pattern: '[0-9]{4}(-Q[1-4]|-(0[1-9]|1[0-2]))?', autocomplete: 'off' });
    const scopeInput = h('input', { name: 'scope', value: chosen.scope, required: true, inputmode: 'numeric', pattern: '[0-9]{2,20}', autocomplete: 'off' });
    const chooser = h('form.card.as-form', {
      'aria-label': t('assessment.choose'),
      onsubmit: (e) => {
        e.preventDefault();
        const q = new URLSearchParams({ plan: planSelect.value, period: periodInput.value.trim(), scope: scopeInput.value.trim() });
        go(`/assessment?${q}`);
      },
    }, h('h2', t('assessment.choose')),
    h('div.row', field(t('assessment.plan'), planSelect), field(t('assessment.period'), periodInput, t('assessment.period.hint')),
      field(t('assessment.scope'), scopeInput)),
    h('button.primary', { type: 'submit' }, t('assessment.show')));

    const body = h('div');
    page.append(h('h1', t('assessment.title')), chooser, body);
    if (hasRole(...ASSESSORS)) page.append(runForm(plans, chosen));
    if (runs.length) page.append(runsCard(runs));

    if (chosen.id) {
      await load(body, () => showAssessment(chosen.id));
    } else if (chosen.plan && chosen.period && chosen.scope) {
      // No scope asked and no list of runs (a grid worker): the ranking posted for the
      // nearest of the account's scope and the grids above it.
      const tries = query.scope || latest ? [chosen.scope] : ancestors(chosen.scope);
      await load(body, async () => {
        for (const where of tries.slice(0, -1)) {
          const found = await showRanking({ ...chosen, scope: where }, true);
          if (found) { scopeInput.value = where; return found; }
        }
        return showRanking({ ...chosen, scope: tries[tries.length - 1] });
      });
    }
    return null;

    // --- the ranking of a published assessment (GET /rankings) or any run's results --------

    async function showRanking({ plan, period, scope: where }, quiet = false) {
      const fetchPage = (after) => get('/rankings', { plan, period, scope: where, limit: RANKING_PAGE, after });
      let first;
      try {
        first = await fetchPage();
      } catch (err) {
        if (err.status === 404 || (quiet && err.status === 403)) {
          return quiet ? null : h('p.empty', { 'data-testid': 'ranking-none' }, t('assessment.none'));
        }
        throw err;
      }
      return rankingView(first.assessment, first.items, fetchPage, first.next);
    }

    async function showAssessment(id) {
      const fetchPage = (after) => get(`/assessments/${encodeURIComponent(id)}/results`, { limit: RESULTS_PAGE, after });
      const first = await fetchPage();
      return rankingView(first.assessment, first.items, fetchPage, first.next);
    }

    async function bandsOf(a) {
      try {
        const versions = await get(`/scoring/plans/${encodeURIComponent(a.plan)}`);
        const v = versions.items.find((x) => x.version === a.plan_version) || versions.items[versions.items.length - 1];
        for (const b of (v && v.document.bands) || []) bandNames[b.key] = label(b);
      } catch { /* the keys then */ }
    }

    /** The first page at once; the pages after it follow in the background (the lists
     *  of the bottom ranks fill in then). */
    async function rankingView(a, items, fetchPage, after) {
      await bandsOf(a);
      const plan = plans.find((p) => p.code === a.plan);
      // the chooser names what is shown (a run opened by its id too)
      if (plan) planSelect.value = a.plan;
      periodInput.value = a.period;
      scopeInput.value = a.scope;
      const detail = h('section.card.as-breakdown', { 'data-testid': 'breakdown', id: 'breakdown', hidden: true, tabindex: '-1', 'aria-label': t('assessment.breakdown') });
      let shown = 50;
      let openButton = null;
      const tableBox = h('div');
      const more = h('p');

      const open = async (row, button) => {
        if (openButton === button && !detail.hidden) { closeDetail(); return; }
        if (openButton) { openButton.setAttribute('aria-expanded', 'false'); openButton.textContent = t('assessment.breakdown.open'); }
        openButton = button;
        button.setAttribute('aria-expanded', 'true');
        button.textContent = t('assessment.breakdown.close');
        detail.hidden = false;
        await load(detail, () => breakdownView(a, row, closeDetail));
        detail.focus();
      };
      const closeDetail = () => {
        detail.hidden = true;
        clear(detail);
        if (openButton) {
          openButton.setAttribute('aria-expanded', 'false');
          openButton.textContent = t('assessment.breakdown.open');
          openButton.focus();
        }
        openButton = null;
      };

      const columns = [
        { label: t('assessment.rank'), value: (r) => h('strong', String(r.rank)) },
        { label: t('assessment.name'), value: (r) => r.name || shortId(r.subject_id) },
        { label: t('assessment.grid'), value: (r) => r.grid_name || r.grid_code || '—' },
        { label: t('assessment.score'), value: (r) => fmt(r.score) },
        { label: t('assessment.ranked'), value: (r) => fmt(r.ranked_score) },
        { label: t('assessment.volume'), value: (r) => fmtNumber(r.volume) },
        { label: t('assessment.band'), value: (r) => [band(r.band), r.pay_tier ? ` · ${r.pay_tier}` : ''] },
        { label: t('assessment.flags'), value: outcome },
        {
          label: t('assessment.breakdown'),
          value: (r) => {
            if (!hasRole(...SUPERVISOR_READERS) && !(me && me.person_id === r.subject_id)) return '—';
            const b = h('button', {
              type: 'button', 'aria-expanded': 'false', 'aria-controls': 'breakdown', 'data-testid': 'breakdown-open',
              'aria-label': `${t('assessment.breakdown.open')}: ${r.name || shortId(r.subject_id)}`,
              onclick: (e) => open(r, e.currentTarget),
            }, t('assessment.breakdown.open'));
            return b;
          },
        },
      ];
      const drawTable = () => {
        const rows = items.slice(0, shown);
        clear(tableBox, h('div.table-wrap', h('table.stack.as-table.as-ranking', { 'data-testid': 'ranking' },
          h('caption', `${t('assessment.ranking')} · ${label(plan && plan.name) || a.plan} · ${a.period} · ${a.scope}`),
          h('thead', h('tr', columns.map((c) => h('th', { scope: 'col' }, c.label)))),
          h('tbody', rows.map((r) => h('tr', {
            dataset: { subject: r.subject_id },
            class: r.commended ? 'commended' : r.reminded ? 'reminded' : null,
          }, columns.map((c) => h('td', { dataset: { label: c.label } }, c.value(r)))))))));
        drawMore();
      };
      let loading = Boolean(after);
      const drawMore = () => {
        const n = Math.min(shown, items.length);
        clear(more, items.length > shown || loading ? [
          h('span.hint', t('assessment.showing', undefined, { n, total: items.length }), loading ? ` · ${t('app.loading')}` : '', ' '),
          items.length > shown ? h('button', { type: 'button', onclick: () => { shown += 50; drawTable(); } }, t('assessment.more')) : null] : null);
      };
      if (items.length) drawTable(); else clear(tableBox, h('p.empty', t('app.none')));

      const s = a.summary || {};
      const head = h('section.card',
        h('h2', label(plan && plan.name) || a.plan, ' ', statusBadge(a.status)),
        h('p', `${t('assessment.period')} ${a.period} · ${t('assessment.scope')} ${a.scope} · ${t('assessment.version')} ${a.version}`,
          a.published_at ? ` · ${t('assessment.published_at', undefined, { at: fmtTime(a.published_at) })}` : ''),
        h('p', t('assessment.summary', undefined, { n: s.subjects ?? '—', mean: fmt(s.mean), c: s.commended ?? 0, r: s.reminded ?? 0 })),
        a.reason ? h('p.hint', a.reason) : null,
        a.status === 'draft' ? h('p.hint', t('assessment.draft.note')) : null,
        actions(a));
      const year = Number(String(a.period).slice(0, 4));
      const lists = listsCard(items);
      if (loading) {
        (async () => {
          let next = after;
          while (next && alive() && items.length < MAX_RESULTS) {
            const pageOf = await fetchPage(next);
            const before = items.length;
            items.push(...pageOf.items);
            next = pageOf.next;
            if (before < shown) drawTable(); else drawMore();
          }
          loading = false;
          drawMore();
          lists.update();
        })().catch((err) => { loading = false; drawMore(); more.append(errorBox(err)); });
      }
      return h('div', head, tableBox, more, detail, lists.element,
        hasRole(...MANAGER_READERS) ? consequencesCard(a, year, items) : null);
    }

    function actions(a) {
      const box = h('div.row');
      const out = h('span', { 'aria-live': 'polite' });
      for (const format of ['xlsx', 'csv']) {
        box.append(h('button', {
          type: 'button', 'data-testid': `export-${format}`,
          onclick: async (e) => {
            const b = e.currentTarget;
            b.disabled = true;
            try {
              const { name, link } = await download(`/assessments/${encodeURIComponent(a.id)}/export`, { format }, `assessment-${a.period}.${format}`);
              clear(out, link);
              toast(t('assessment.export.ready', undefined, { name }), 'ok');
            } catch (err) { clear(out, errorBox(err)); } finally { b.disabled = false; }
          },
        }, t(`assessment.export.${format}`)));
      }
      if (a.status === 'draft' && hasRole(...ASSESSORS)) {
        box.append(h('button.primary', {
          type: 'button', 'data-testid': 'publish',
          onclick: async (e) => {
            if (!window.confirm(t('assessment.publish.confirm'))) return;
            const b = e.currentTarget;
            b.disabled = true;
            try {
              const done = await post(`/assessments/${encodeURIComponent(a.id)}/publish`, {});
              toast(t('assessment.publish.done'), 'ok');
              go(`/assessment?${new URLSearchParams({ plan: done.plan, period: done.period, scope: done.scope })}`);
            } catch (err) { b.disabled = false; clear(out, errorBox(err)); }
          },
        }, t('assessment.publish')));
      }
      if (a.status === 'published' && hasRole(...ASSESSORS)) {
        box.append(h('button', {
          type: 'button', 'data-testid': 'correct',
          onclick: async (e) => {
            const reason = window.prompt(t('assessment.correct.reason'), '');
            if (!reason || !reason.trim()) return;
            const b = e.currentTarget;
            b.disabled = true;
            try {
              const next = await post(`/assessments/${encodeURIComponent(a.id)}/corrections`, { reason: reason.trim() });
              toast(t('assessment.correct.done'), 'ok');
              go(`/assessment?${new URLSearchParams({ id: next.id })}`);
            } catch (err) { b.disabled = false; clear(out, errorBox(err)); }
          },
        }, t('assessment.correct')));
      }
      box.append(out);
      return box;
    }

    function listsCard(items) {
      const box = h('div.grid-cards');
      const element = card(t('assessment.lists'), box);
      const update = () => clear(box, draw());
      const draw = () => {
        const commended = items.filter((r) => r.commended);
        const reminded = items.filter((r) => r.reminded);
        const list = (rows, testid) => (rows.length
          ? h('ol', { 'data-testid': testid }, rows.map((r) => h('li', t('assessment.list.line', undefined, {
            name: r.name || shortId(r.subject_id), grid: r.grid_name || r.grid_code || '', score: fmt(r.score), rank: r.rank }))))
          : h('p.empty', { 'data-testid': testid }, t('assessment.list.empty')));
        return [
          h('div', h('h3', t('assessment.list.commended')), list(commended, 'commended')),
          h('div', h('h3', t('assessment.list.reminded')), list(reminded, 'reminded'))];
      };
      update();
      return { element, update };
    }

    function consequencesCard(a, year, items) {
      const names = Object.fromEntries(items.map((r) => [r.subject_id, r.name]));
      const gridNames = Object.fromEntries(items.filter((r) => r.grid_name).map((r) => [r.grid_code, r.grid_name]));
      const box = h('div');
      const yearInput = h('input.as-narrow', { type: 'number', min: 2000, max: 2099, value: year, name: 'year' });
      const section = h('section.card', { 'data-testid': 'consequences' }, h('h2', t('assessment.consequences', undefined, { year })),
        h('form.row', {
          onsubmit: (e) => { e.preventDefault(); fill(Number(yearInput.value)); },
        }, narrow(field(t('assessment.year'), yearInput)), h('button', { type: 'submit' }, t('app.refresh'))), box);
      const fill = (y) => load(box, async () => {
        section.querySelector('h2').textContent = t('assessment.consequences', undefined, { year: y });
        let c;
        try {
          c = await get('/consequences', { plan: a.plan, year: y, scope: a.scope });
        } catch (err) {
          if (err.status === 404) return h('p.empty', t('assessment.consequences.none', undefined, { year: y }));
          throw err;
        }
        const keys = ['contract_review', 'reserve_candidates', 'reserve_pool', 'party_candidates', 'employment_contract', 'pay_tiers'];
        return h('div.grid-cards', keys.filter((k) => Array.isArray(c[k])).map((k) => h('div',
          h('h3', t(`assessment.c.${k}`), ' ', h('span.badge', String(c[k].length))),
          c[k].length ? h('ul', c[k].map((x) => h('li', `${names[x.subject_id] || shortId(x.subject_id)} · ${gridNames[x.grid_code] || x.grid_code || ''} · ${fmt(x.score)}`,
            x.band ? ` · ${band(x.band)}` : '', x.tier ? ` · ${x.tier}` : ''))) : h('p.empty', t('assessment.list.empty')))));
      });
      fill(year);
      return section;
    }

    // --- one result's breakdown ---------------------------------------------------------

    async function breakdownView(a, row, close) {
      const answer = await get(`/assessments/${encodeURIComponent(a.id)}/results`, { subject: row.subject_id, limit: 1 });
      const r = answer.items[0] || row;
      const name = r.name || shortId(r.subject_id);
      const lines = [];
      const walk = (node, depth) => {
        if (node.kind !== 'total') lines.push({ node, depth });
        for (const child of node.children || []) walk(child, node.kind === 'total' ? 0 : depth + 1);
      };
      if (r.breakdown) walk(r.breakdown, 0);
      const refsBox = h('div');
      const method = (d) => {
        if (!d) return '';
        const bits = [];
        if (d.measure) bits.push(d.measure);
        if (d.normalise) bits.push(d.normalise);
        if (d.direction) bits.push(d.direction === 'lower' ? '↓' : '↑');
        if (d.target !== undefined) bits.push(`target ${fmtNumber(d.target, 2)}`);
        if (d.scope_min !== undefined) bits.push(`${fmtNumber(d.scope_min, 2)}–${fmtNumber(d.scope_max, 2)}`);
        return bits.join(' · ');
      };
      const table = h('div.table-wrap', h('table.stack.as-table.breakdown-table',
        h('caption.sr-only', t('assessment.breakdown.of', undefined, { name })),
        h('thead', h('tr', [t('assessment.item'), t('assessment.weight'), t('assessment.value'), t('assessment.points'),
          t('assessment.contribution'), t('assessment.to_total'), t('assessment.facts')].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', lines.map(({ node, depth }) => h(`tr.${node.kind}`, { dataset: { key: node.key } },
          h('td', { dataset: { label: t('assessment.item') }, style: { paddingLeft: `${0.6 + depth * 1.2}em` } },
            h(node.kind === 'part' ? 'strong' : 'span', label(node.name) || node.key),
            node.detail ? h('small.hint', { style: { display: 'block' } }, `${t('assessment.method')}: ${method(node.detail)}`) : null),
          h('td', { dataset: { label: t('assessment.weight') } }, fmtNumber(node.weight, 2)),
          h('td', { dataset: { label: t('assessment.value') } }, node.no_data ? h('span.badge', t('assessment.nodata'))
            : node.value !== undefined ? fmtNumber(node.value, 4) : '—'),
          h('td', { dataset: { label: t('assessment.points') } }, fmt(node.points)),
          h('td', { dataset: { label: t('assessment.contribution') } }, fmt(node.contribution)),
          h('td', { dataset: { label: t('assessment.to_total') } }, fmt(node.to_total)),
          h('td', { dataset: { label: t('assessment.facts') } },
            node.volume ? `${t('assessment.volume')} ${fmtNumber(node.volume)}` : '',
            node.refs && node.refs.length ? h('small', { style: { display: 'block' } },
              node.refs.map(shortId).join(', '), node.refs_more ? ` +${node.refs_more}` : '') : null,
            node.note && !node.no_data ? h('small.hint', { style: { display: 'block' } }, node.note) : null))))));
      return h('div',
        h('div.row', h('h2', { style: { marginRight: 'auto' } }, t('assessment.breakdown.of', undefined, { name })),
          h('button', { type: 'button', onclick: close }, t('app.close'))),
        h('div.stats',
          statBox(t('assessment.rank'), r.rank), statBox(t('assessment.own'), fmt(r.own_score)),
          statBox(t('assessment.score'), fmt(r.score)), statBox(t('assessment.ranked'), fmt(r.ranked_score)),
          statBox(t('assessment.volume'), fmtNumber(r.volume)), statBox(t('assessment.band'), [band(r.band), r.pay_tier ? ` · ${r.pay_tier}` : ''])),
        h('p', outcome(r)),
        r.bound ? h('p.hint', t('assessment.bound', undefined, { own: fmt(r.bound.own), others: fmt(r.bound.others), share: fmtPercent(r.bound.share, 0) })) : null,
        r.ranked_score !== r.score ? h('p.hint', t('assessment.shrunk', undefined, { ranked: fmt(r.ranked_score), score: fmt(r.score), volume: r.volume })) : null,
        table,
        r.subject_kind === 'worker' ? h('div', h('h3', t('assessment.refs')),
          h('button', { type: 'button', 'data-testid': 'refs-load', onclick: () => load(refsBox, () => refsView(a, r)) }, t('assessment.refs.load')),
          refsBox) : null);
    }

    async function refsView(a, r) {
      const refs = await get(`/assessments/${encodeURIComponent(a.id)}/refs`, { subject: r.subject_id });
      const kinds = Object.keys(refs).filter((k) => Array.isArray(refs[k]) && refs[k].length);
      if (!kinds.length) return h('p.empty', t('assessment.refs.none'));
      return h('dl.as-refs', { 'data-testid': 'refs' }, kinds.map((k) => [
        h('dt', t(`assessment.refs.${k}`, k), ' ', h('span.badge', String(refs[k].length))),
        h('dd', h('ul.as-ids', refs[k].map((id) => h('li', k.startsWith('tickets')
          ? h('a', { href: `#/tickets/${encodeURIComponent(id)}` }, shortId(id)) : h('code', { title: id }, shortId(id))))))]));
    }

    function runForm(planList, chosenNow) {
      const planSel = h('select', { name: 'run-plan' }, planList.map((p) => h('option', { value: p.code, selected: p.code === chosenNow.plan }, `${label(p.name)} (${p.code})`)));
      const per = h('input', { name: 'run-period', value: chosenNow.period, required: true, autocomplete: 'off' });
      const sc = h('input', { name: 'run-scope', value: chosenNow.scope || (me && me.grid_scope) || '', required: true, inputmode: 'numeric', autocomplete: 'off' });
      const out = h('div', { 'aria-live': 'polite' });
      const submit = h('button.primary', { type: 'submit' }, t('assessment.run.submit'));
      return h('details.card.as-more', { 'data-testid': 'run' }, h('summary', h('strong', t('assessment.run'))),
        h('form', {
          onsubmit: async (e) => {
            e.preventDefault();
            submit.disabled = true;
            clear(out);
            try {
              const run = await post('/assessments', { plan: planSel.value, period: per.value.trim(), scope: sc.value.trim() });
              toast(t('assessment.run.done'), 'ok');
              go(`/assessment?${new URLSearchParams({ id: run.id })}`);
            } catch (err) { clear(out, errorBox(err)); } finally { submit.disabled = false; }
          },
        }, h('div.row', field(t('assessment.plan'), planSel), field(t('assessment.period'), per, t('assessment.period.hint')),
          field(t('assessment.scope'), sc)), submit, out));
    }

    function runsCard(list) {
      const body = h('tbody');
      const more = h('p');
      const row = (a) => h('tr',
        h('td', { dataset: { label: t('assessment.period') } }, a.period, ' ', statusBadge(a.status)),
        h('td', { dataset: { label: t('assessment.plan') } }, label((plans.find((p) => p.code === a.plan) || {}).name) || a.plan),
        h('td', { dataset: { label: t('assessment.scope') } }, a.scope),
        h('td', { dataset: { label: t('assessment.version') } }, String(a.version)),
        h('td', { dataset: { label: t('assessment.subjects') } }, String(a.summary ? a.summary.subjects : '—')),
        h('td', { dataset: { label: t('assessment.mean') } }, fmt(a.summary && a.summary.mean)),
        h('td', { dataset: { label: t('assessment.open') } }, h('a', { href: `#/assessment?id=${encodeURIComponent(a.id)}` }, t('assessment.open'))));
      const drawMore = () => clear(more, runsNext ? h('button', {
        type: 'button',
        onclick: async (e) => {
          e.currentTarget.disabled = true;
          try {
            const next = await get('/assessments', { limit: 50, after: runsNext });
            body.append(...next.items.map(row));
            runsNext = next.next;
            drawMore();
          } catch (err) { clear(more, errorBox(err)); }
        },
      }, t('app.more')) : null);
      body.append(...list.map(row));
      drawMore();
      return h('details.card.as-more', { open: !chosen.plan }, h('summary', h('strong', t('assessment.list'))),
        h('div.table-wrap', h('table.stack.as-table',
          h('thead', h('tr', [t('assessment.period'), t('assessment.plan'), t('assessment.scope'), t('assessment.version'),
            t('assessment.subjects'), t('assessment.mean'), t('assessment.open')].map((c) => h('th', { scope: 'col' }, c)))),
          body)), more);
    }
  },
});

function narrow(el) { el.classList.add('as-narrow'); return el; }

function statBox(name, value) {
  return h('div.stat', h('span.value', value), h('span.label', name));
}

