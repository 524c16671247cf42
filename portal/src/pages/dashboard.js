// Dashboards (数据看板) for the user's scope: resolution, on-time and satisfaction rates,
// the share solved below department level, weekly trends and year on year, from
// GET /tickets/statistics; each figure exportable through the API's exports.
import { get } from '../api.js';
import { addMessages, currentLang, fmtNumber, fmtPercent, t } from '../i18n.js';
import { register } from '../router.js';
import { scope } from '../session.js';
import { clear, errorBox, field, h, toast } from '../ui.js';
import { download } from '../downloads.js';
import { LEVELS, explainAction, levelLabel, shanghaiDay } from './tickets-common.js';
import './dashboard.css';

addMessages({
  zh: {
    'dash.title': '数据看板', 'dash.period': '统计时段', 'dash.p.last30': '最近30天', 'dash.p.this_month': '本月',
    'dash.p.last_month': '上月', 'dash.p.this_year': '今年', 'dash.p.custom': '自定义', 'dash.from': '开始日期',
    'dash.to': '结束日期', 'dash.root': '统计范围', 'dash.whole': '全区', 'dash.up': '返回上一级', 'dash.refresh': '刷新',
    'dash.range': '{root}：{from} 至 {to}（上报日期，北京时间）',
    'dash.total': '上报事件', 'dash.solved': '已解决', 'dash.resolution_rate': '办结率', 'dash.on_time_rate': '按期办结率',
    'dash.satisfaction_rate': '满意率', 'dash.below_department': '街道社区及以下解决占比', 'dash.open_overdue': '在办超时',
    'dash.hours_to_resolve': '办结用时中位数（小时）',
    'dash.yoy': '同比 {change}', 'dash.mom': '环比 {change}', 'dash.points': '{sign}{n}个百分点', 'dash.pct': '{sign}{n}%',
    'dash.no_change': '—',
    'dash.trend': '按周趋势（近12周，与去年同期对比）', 'dash.trend.total': '本年上报', 'dash.trend.last_year': '去年同期上报',
    'dash.trend.resolution': '办结率', 'dash.trend.on_time': '按期办结率', 'dash.week': '周', 'dash.trend.loading': '正在计算每周数据…',
    'dash.compare': '同比与环比', 'dash.compare.this': '本期', 'dash.compare.prev': '上期（环比）', 'dash.compare.last_year': '去年同期（同比）',
    'dash.levels': '在哪一级解决', 'dash.levels.count': '解决件数', 'dash.grids': '各下级网格', 'dash.grid': '网格',
    'dash.drill': '查看 {name}', 'dash.export': '导出', 'dash.export.xlsx': '导出报表（Excel）', 'dash.export.csv': '导出报表（CSV）',
    'dash.export.tickets': '导出工单清单', 'dash.exported': '已下载：{name}', 'dash.table': '数据表',
    'dash.rates_axis': '比率', 'dash.level': '层级', 'dash.count_axis': '件数', 'dash.figures': '主要指标',
  },
  en: {
    'dash.title': 'Dashboard', 'dash.period': 'Period', 'dash.p.last30': 'Last 30 days', 'dash.p.this_month': 'This month',
    'dash.p.last_month': 'Last month', 'dash.p.this_year': 'This year', 'dash.p.custom': 'Custom', 'dash.from': 'From',
    'dash.to': 'To', 'dash.root': 'Scope', 'dash.whole': 'Whole district', 'dash.up': 'Up one level', 'dash.refresh': 'Refresh',
    'dash.range': '{root}: {from} to {to} (reported on, Beijing time)',
    'dash.total': 'Reported', 'dash.solved': 'Solved', 'dash.resolution_rate': 'Resolution rate', 'dash.on_time_rate': 'On-time rate',
    'dash.satisfaction_rate': 'Satisfaction rate', 'dash.below_department': 'Solved below department level', 'dash.open_overdue': 'Open and overdue',
    'dash.hours_to_resolve': 'Median hours to resolve',
    'dash.yoy': 'Year on year {change}', 'dash.mom': 'vs previous {change}', 'dash.points': '{sign}{n} points', 'dash.pct': '{sign}{n}%',
    'dash.no_change': '—',
    'dash.trend': 'Weekly trend (last 12 weeks, against the same weeks last year)', 'dash.trend.total': 'Reported this year',
    'dash.trend.last_year': 'Reported a year earlier', 'dash.trend.resolution': 'Resolution rate', 'dash.trend.on_time': 'On-time rate',
    'dash.week': 'Week', 'dash.trend.loading': 'Working out each week…',
    'dash.compare': 'Year on year and period on period', 'dash.compare.this': 'This period', 'dash.compare.prev': 'Previous period',
    'dash.compare.last_year': 'Same period last year',
    'dash.levels': 'Where tickets were solved', 'dash.levels.count': 'Solved', 'dash.grids': 'Grids under the scope', 'dash.grid': 'Grid',
    'dash.drill': 'Open {name}', 'dash.export': 'Export', 'dash.export.xlsx': 'Export report (Excel)', 'dash.export.csv': 'Export report (CSV)',
    'dash.export.tickets': 'Export ticket list', 'dash.exported': 'Downloaded: {name}', 'dash.table': 'Data table',
    'dash.rates_axis': 'Rate', 'dash.level': 'Level', 'dash.count_axis': 'Tickets', 'dash.figures': 'Key figures',
  },
});

const DAY = 86400e3;
const PALETTE = ['#0b4f8a', '#f0a030', '#7a8da3', '#1b7f3b', '#b3261e'];
const dayMs = (day) => Date.parse(`${day}T00:00:00Z`);
const dayStr = (ms) => new Date(ms).toISOString().slice(0, 10);
const addDays = (day, n) => dayStr(dayMs(day) + n * DAY);

/** The period's first and last day (Asia/Shanghai) for a preset. */
function periodDays(preset, from, to) {
  const today = shanghaiDay();
  const [y, m] = today.split('-').map(Number);
  switch (preset) {
    case 'this_month': return { from: `${today.slice(0, 7)}-01`, to: today };
    case 'last_month': {
      const first = dayStr(Date.UTC(y, m - 2, 1));
      return { from: first, to: dayStr(Date.UTC(y, m - 1, 0)) };
    }
    case 'this_year': return { from: `${y}-01-01`, to: today };
    case 'custom': return { from: from || addDays(today, -29), to: to || today };
    default: return { from: addDays(today, -29), to: today };
  }
}

/** The last `n` weeks, Monday to Sunday, the current one up to today. */
function weeks(n) {
  const today = shanghaiDay();
  const weekday = (new Date(dayMs(today)).getUTCDay() + 6) % 7;   // Monday 0
  const monday = addDays(today, -weekday);
  return Array.from({ length: n }, (_, i) => {
    const from = addDays(monday, -7 * (n - 1 - i));
    const end = addDays(from, 6);
    return { from, to: end > today ? today : end };
  });
}

async function pool(tasks, width) {
  const results = new Array(tasks.length);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(width, tasks.length) }, async () => {
    while (next < tasks.length) { const i = next++; results[i] = await tasks[i](); }
  }));
  return results;
}

let echartsLoaded = null;
/** echarts core with only what the dashboard draws: its own small chunk, loaded on this page. */
function loadEcharts() {
  if (!echartsLoaded) echartsLoaded = import('./charts.js');
  return echartsLoaded;
}

function changeText(change, isRate) {
  if (!change || change.absolute === null || change.absolute === undefined) return t('dash.no_change');
  const sign = change.absolute > 0 ? '+' : change.absolute < 0 ? '−' : '±';
  if (isRate) return t('dash.points', undefined, { sign, n: fmtNumber(Math.abs(change.absolute) * 100, 1) });
  if (change.percent === null || change.percent === undefined) return `${sign}${fmtNumber(Math.abs(change.absolute))}`;
  return t('dash.pct', undefined, { sign, n: fmtNumber(Math.abs(change.percent), 1) });
}

function renderDashboard(page, params, query) {
  const home = scope();
  const state = { preset: query.period || 'last30', from: query.from || '', to: query.to || '', root: query.root || home || '' };
  const charts = [];
  let disposed = false;
  let generation = 0;

  const periodSel = h('select', { name: 'period', 'data-testid': 'dashboard-period' },
    ['last30', 'this_month', 'last_month', 'this_year', 'custom'].map((p) => h('option', { value: p }, t(`dash.p.${p}`))));
  periodSel.value = state.preset;
  const fromIn = h('input', { type: 'date', name: 'from', 'data-testid': 'dashboard-from', value: state.from });
  const toIn = h('input', { type: 'date', name: 'to', 'data-testid': 'dashboard-to', value: state.to });
  const custom = h('div.row', field(t('dash.from'), fromIn), field(t('dash.to'), toIn));
  const syncCustom = () => { custom.hidden = periodSel.value !== 'custom'; };
  syncCustom();
  const refresh = h('button', { type: 'button', 'data-testid': 'dashboard-refresh', onclick: () => loadAll() }, t('dash.refresh'));
  const up = h('button', { type: 'button', 'data-testid': 'dashboard-up', hidden: true, onclick: () => {
    const parent = state.parents.pop();
    state.root = parent ?? home ?? '';
    loadAll();
  } }, t('dash.up'));
  state.parents = [];
  const onChange = () => {
    state.preset = periodSel.value; state.from = fromIn.value; state.to = toIn.value;
    syncCustom();
    loadAll();
  };
  periodSel.addEventListener('change', onChange);
  fromIn.addEventListener('change', onChange);
  toIn.addEventListener('change', onChange);

  const rangeText = h('p.range', { 'aria-live': 'polite', 'data-testid': 'dashboard-range' });
  const figures = h('section.stats', { 'aria-label': t('dash.figures') });
  const sections = h('div.dash-sections');
  const exportsMain = h('div');
  const root = h('div.dashboard', { 'data-testid': 'dashboard', 'data-state': 'loading' },
    h('div.page-head', h('h1', t('dash.title')), h('div.row', refresh, up)),
    h('fieldset.filters.card', h('legend.sr-only', t('dash.period')),
      h('div.row', field(t('dash.period'), periodSel)), custom),
    rangeText, exportsMain, figures, sections);
  page.append(root);

  function exportButtons(days, testid) {
    const lang = currentLang();
    const q = { root: state.root || undefined, from: days.from, to: days.to, lang };
    const go = (path, extra, stem) => async (e) => {
      const button = e.currentTarget; button.disabled = true;
      try {
        const { name } = await download(path, { ...q, ...extra }, `${stem}.${extra.format || 'xlsx'}`);
        toast(t('dash.exported', undefined, { name }), 'ok');
      } catch (err) { toast(explainAction(err).text, 'error'); } finally { button.disabled = false; }
    };
    return h('div.row.exports',
      h('button', { type: 'button', 'data-testid': `${testid}-xlsx`, onclick: go('/tickets/statistics/export', { format: 'xlsx' }, 'statistics') }, t('dash.export.xlsx')),
      h('button', { type: 'button', 'data-testid': `${testid}-csv`, onclick: go('/tickets/statistics/export', { format: 'csv' }, 'statistics') }, t('dash.export.csv')),
      h('button', { type: 'button', 'data-testid': `${testid}-tickets`, onclick: go('/tickets/export', { format: 'xlsx' }, 'tickets') }, t('dash.export.tickets')));
  }

  function stat(testid, label, value, raw, changes) {
    return h('div.stat', { 'data-testid': `${testid}-card` },
      h('span.value', { 'data-testid': testid, 'data-value': raw === null || raw === undefined ? '' : String(raw) }, value),
      h('span.label', label),
      changes ? h('span.extra', changes) : null);
  }

  function drawFigures(s) {
    const cmp = s.comparisons || {};
    const yoy = (key, rate) => (cmp.same_period_last_year ? t('dash.yoy', undefined, { change: changeText(cmp.same_period_last_year.change[key], rate) }) : '');
    const mom = (key, rate) => (cmp.previous_period ? t('dash.mom', undefined, { change: changeText(cmp.previous_period.change[key], rate) }) : '');
    const both = (key, rate) => [h('span', yoy(key, rate)), h('span', mom(key, rate))];
    clear(figures,
      stat('stat-resolution-rate', t('dash.resolution_rate'), fmtPercent(s.resolution_rate), s.resolution_rate, both('resolution_rate', true)),
      stat('stat-on-time-rate', t('dash.on_time_rate'), fmtPercent(s.on_time_rate), s.on_time_rate, both('on_time_rate', true)),
      stat('stat-satisfaction-rate', t('dash.satisfaction_rate'), fmtPercent(s.satisfaction_rate), s.satisfaction_rate, both('satisfaction_rate', true)),
      stat('stat-below-department', t('dash.below_department'), fmtPercent(s.share_solved_below_department),
        s.share_solved_below_department, both('share_solved_below_department', true)),
      stat('stat-total', t('dash.total'), fmtNumber(s.total), s.total, both('total', false)),
      stat('stat-solved', t('dash.solved'), fmtNumber(s.solved), s.solved, both('solved', false)),
      stat('stat-open-overdue', t('dash.open_overdue'), fmtNumber(s.open_overdue), s.open_overdue),
      stat('stat-hours-to-resolve', t('dash.hours_to_resolve'), fmtNumber(s.hours_to_resolve.median, 1), s.hours_to_resolve.median));
  }

  /** A figure: its chart, a data table for screen readers and for checking, and its exports. */
  function figureCard(testid, title, days, table) {
    const chartEl = h('div.chart', { 'data-testid': testid, role: 'img', 'aria-label': title });
    const card = h('section.card.figure', { 'aria-label': title },
      h('div.figure-head', h('h2', title)),
      chartEl,
      h('details', h('summary', t('dash.table')), table),
      exportButtons(days, `${testid}-export`));
    return { card, chartEl };
  }

  function dataTable(head, rows) {
    return h('div.table-wrap', h('table.stack',
      h('thead', h('tr', head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', rows.map((r) => h('tr', r.map((v, i) => h('td', { 'data-label': head[i] }, v)))))));
  }

  async function chart(el, option) {
    const echarts = await loadEcharts();
    if (disposed || !el.isConnected) return;
    for (const series of option.series) if (series.type === 'bar') series.barMaxWidth = series.barMaxWidth || 48;
    const c = echarts.init(el, null, { renderer: 'svg' });
    c.setOption({ aria: { enabled: true }, animation: false, color: PALETTE, ...option });
    charts.push(c);
  }

  function disposeCharts() { charts.splice(0).forEach((c) => c.dispose()); }

  const pct = (v) => (v === null || v === undefined ? null : Math.round(v * 1000) / 10);

  function drawCompare(s, days) {
    const cmp = s.comparisons;
    const keys = ['resolution_rate', 'on_time_rate', 'satisfaction_rate', 'share_solved_below_department'];
    const labels = [t('dash.resolution_rate'), t('dash.on_time_rate'), t('dash.satisfaction_rate'), t('dash.below_department')];
    const series = [[t('dash.compare.this'), s], [t('dash.compare.prev'), cmp.previous_period], [t('dash.compare.last_year'), cmp.same_period_last_year]];
    const table = dataTable([t('dash.compare'), ...series.map(([n, x]) => `${n} ${x.from}–${x.to}`)],
      keys.map((k, i) => [labels[i], ...series.map(([, x]) => fmtPercent(x[k]))]));
    const { card, chartEl } = figureCard('chart-compare', t('dash.compare'), days, table);
    sections.append(card);
    chart(chartEl, {
      tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined ? '—' : `${v}%`) },
      legend: { top: 0 },
      grid: { left: 48, right: 10, top: 50, bottom: 60 },
      xAxis: { type: 'category', data: labels, axisLabel: { interval: 0, width: 80, overflow: 'break' } },
      yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      series: series.map(([name, x]) => ({ name, type: 'bar', data: keys.map((k) => pct(x[k])) })),
    });
  }

  function drawLevels(s, days) {
    const counts = s.resolved_at_level || {};
    const levels = LEVELS.filter((l) => l in counts).concat(Object.keys(counts).filter((l) => !LEVELS.includes(l)));
    const table = dataTable([t('dash.level'), t('dash.levels.count')],
      levels.map((l) => [levelLabel(l), fmtNumber(counts[l])]));
    const { card, chartEl } = figureCard('chart-levels', t('dash.levels'), days, table);
    sections.append(card);
    chart(chartEl, {
      tooltip: { trigger: 'axis' },
      grid: { left: 40, right: 10, top: 20, bottom: 30 },
      xAxis: { type: 'category', data: levels.map(levelLabel) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ name: t('dash.levels.count'), type: 'bar', data: levels.map((l) => counts[l]),
        itemStyle: { color: '#1b7f3b' }, label: { show: true, position: 'top' } }],
    });
  }

  function drawGrids(s, days) {
    const rows = (s.breakdowns && s.breakdowns.grids) || [];
    if (!rows.length) return;
    const head = [t('dash.grid'), t('dash.total'), t('dash.solved'), t('dash.resolution_rate'), t('dash.on_time_rate'),
      t('dash.satisfaction_rate'), t('dash.open_overdue'), ''];
    const table = h('div.table-wrap', h('table.stack', { 'data-testid': 'dashboard-grids' },
      h('thead', h('tr', head.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', rows.map((r) => h('tr',
        h('td', { 'data-label': head[0] }, r.name || r.code),
        h('td', { 'data-label': head[1] }, fmtNumber(r.total)),
        h('td', { 'data-label': head[2] }, fmtNumber(r.solved)),
        h('td', { 'data-label': head[3] }, fmtPercent(r.resolution_rate)),
        h('td', { 'data-label': head[4] }, fmtPercent(r.on_time_rate)),
        h('td', { 'data-label': head[5] }, fmtPercent(r.satisfaction_rate)),
        h('td', { 'data-label': head[6] }, fmtNumber(r.open_overdue)),
        h('td', r.code !== (state.root || s.root) ? h('button.link', {
          type: 'button', 'data-testid': 'dashboard-drill', dataset: { code: r.code },
          onclick: () => { state.parents.push(state.root); state.root = r.code; loadAll(); },
        }, t('dash.drill', undefined, { name: r.name || r.code })) : null))))));
    const chartEl = h('div.chart', { 'data-testid': 'chart-grids', role: 'img', 'aria-label': t('dash.grids') });
    sections.append(h('section.card.figure.wide', { 'aria-label': t('dash.grids') },
      h('h2', t('dash.grids')), chartEl, table, exportButtons(days, 'chart-grids-export')));
    chart(chartEl, {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 40, top: 40, bottom: 70 },
      xAxis: { type: 'category', data: rows.map((r) => r.name || r.code), axisLabel: { rotate: 30 } },
      yAxis: [{ type: 'value', minInterval: 1, name: t('dash.count_axis') }, { type: 'value', max: 100, name: '%' }],
      series: [
        { name: t('dash.total'), type: 'bar', data: rows.map((r) => r.total) },
        { name: t('dash.solved'), type: 'bar', data: rows.map((r) => r.solved) },
        { name: t('dash.resolution_rate'), type: 'line', yAxisIndex: 1, data: rows.map((r) => pct(r.resolution_rate)) },
      ],
    });
  }

  async function drawTrend(my, rootCode) {
    const list = weeks(12);
    const span = { from: list[0].from, to: list.at(-1).to };
    const placeholder = h('p.loading', t('dash.trend.loading'));
    const holder = h('div', placeholder);
    sections.prepend(holder);
    let answers;
    try {
      answers = await pool(list.map((w) => () => get('/tickets/statistics', { root: rootCode || undefined, from: w.from, to: w.to })), 4);
    } catch (err) {
      if (my === generation) clear(holder, errorBox(err));
      return;
    }
    if (my !== generation || disposed) return;
    const label = (w) => w.from.slice(5);
    const head = [t('dash.week'), t('dash.trend.total'), t('dash.trend.last_year'), t('dash.trend.resolution'), t('dash.trend.on_time')];
    const table = dataTable(head, list.map((w, i) => [`${w.from}–${w.to}`, fmtNumber(answers[i].total),
      fmtNumber(answers[i].comparisons.same_period_last_year.total), fmtPercent(answers[i].resolution_rate),
      fmtPercent(answers[i].on_time_rate)]));
    const { card, chartEl } = figureCard('chart-trend', t('dash.trend'), span, table);
    card.classList.add('wide');
    card.dataset.weeks = String(list.length);
    clear(holder, card);
    chart(chartEl, {
      tooltip: { trigger: 'axis' },
      legend: { top: 0 },
      grid: { left: 40, right: 40, top: 50, bottom: 30 },
      xAxis: { type: 'category', data: list.map(label) },
      yAxis: [{ type: 'value', minInterval: 1, name: t('dash.count_axis') }, { type: 'value', max: 100, name: '%' }],
      series: [
        { name: t('dash.trend.total'), type: 'bar', data: answers.map((a) => a.total), itemStyle: { color: '#0b4f8a' } },
        { name: t('dash.trend.last_year'), type: 'bar', data: answers.map((a) => a.comparisons.same_period_last_year.total),
          itemStyle: { color: '#9db7d3' } },
        { name: t('dash.trend.resolution'), type: 'line', yAxisIndex: 1, connectNulls: true, data: answers.map((a) => pct(a.resolution_rate)) },
        { name: t('dash.trend.on_time'), type: 'line', yAxisIndex: 1, connectNulls: true, data: answers.map((a) => pct(a.on_time_rate)),
          lineStyle: { type: 'dashed' } },
      ],
    });
  }

  async function loadAll() {
    const my = ++generation;
    const days = periodDays(state.preset, state.from, state.to);
    const search = new URLSearchParams(Object.entries({ period: state.preset, from: state.preset === 'custom' ? days.from : '',
      to: state.preset === 'custom' ? days.to : '', root: state.root !== (home || '') ? state.root : '' }).filter(([, v]) => v)).toString();
    history.replaceState(null, '', `#/dashboard${search ? `?${search}` : ''}`);
    up.hidden = !state.parents.length;
    root.dataset.state = 'loading';
    refresh.disabled = true;
    let s;
    try {
      s = await get('/tickets/statistics', { root: state.root || undefined, from: days.from, to: days.to });
    } catch (err) {
      if (my !== generation) return;
      root.dataset.state = 'error';
      refresh.disabled = false;
      clear(figures, errorBox(err, () => loadAll()));
      return;
    }
    if (my !== generation || disposed) return;
    refresh.disabled = false;
    disposeCharts();
    clear(sections);
    rangeText.textContent = t('dash.range', undefined, { root: s.root || t('dash.whole'), from: s.from, to: s.to });
    root.dataset.root = s.root || '';
    drawFigures(s);
    clear(exportsMain, exportButtons(days, 'export-statistics'));
    drawCompare(s, days);
    drawLevels(s, days);
    drawGrids(s, days);
    root.dataset.state = 'ready';
    drawTrend(my, state.root);
  }

  const onResize = () => charts.forEach((c) => c.resize());
  window.addEventListener('resize', onResize);
  loadAll();
  return () => { disposed = true; disposeCharts(); window.removeEventListener('resize', onResize); };
}

const READERS = ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'auditor'];
register({ path: '/dashboard', title: 'dash.title', order: 25, roles: READERS, render: renderDashboard });
