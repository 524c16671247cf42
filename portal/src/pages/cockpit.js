// 指挥中心驾驶舱: the district command centre's wall. Full screen and dark, the map linked
// with live figures — open tickets by grade, SLA breaches, staffing gaps, today's patrols
// and visit coverage — refreshing by itself every 30 s (paused while the tab is hidden).
// Clicking a grid on the map (or choosing it in the scope list) narrows the figures to it.
import { explain } from '../api.js';
import * as data from '../griddata.js';
import { addMessages, currentLang, fmtNumber, fmtPercent, fmtTime, setLang, t } from '../i18n.js';
import { register } from '../router.js';
import { scope } from '../session.js';
import { clear, h } from '../ui.js';
import './cockpit.css';

addMessages({
  zh: {
    'cockpit.title': '指挥中心驾驶舱', 'cockpit.updated': '更新于 {at}', 'cockpit.never': '尚未更新',
    'cockpit.paused': '已暂停自动刷新', 'cockpit.hidden': '页面不可见，已暂停', 'cockpit.refresh': '立即刷新',
    'cockpit.pause': '暂停自动刷新', 'cockpit.resume': '恢复自动刷新', 'cockpit.exit': '退出大屏',
    'cockpit.scope': '统计范围', 'cockpit.whole': '{name}（全部）', 'cockpit.open': '未办结工单',
    'cockpit.overdue': '超时未办', 'cockpit.breaches': '近30天超时次数', 'cockpit.gaps': '人员缺口',
    'cockpit.gapsGrids': '{n} 个网格缺人', 'cockpit.patrols': '今日巡查', 'cockpit.coverage': '走访覆盖率',
    'cockpit.byGrade': '未办结工单（按等级）', 'cockpit.byStatus': '近30天工单（按状态）',
    'cockpit.byChild': '下级网格：{m}', 'cockpit.newest': '最新未办结工单', 'cockpit.noTickets': '暂无未办结工单',
    'cockpit.map': '地图着色', 'cockpit.drill': '地图下钻到此', 'cockpit.up': '返回上级',
    'cockpit.every': '每 30 秒自动刷新', 'cockpit.failed': '部分数据未能更新：{what}',
    'cockpit.status.reported': '已上报', 'cockpit.status.accepted': '已受理', 'cockpit.status.handling': '处置中',
    'cockpit.status.resolved': '已办结', 'cockpit.status.feedback_given': '已反馈', 'cockpit.status.rated': '已评价',
    'cockpit.status.closed': '已关闭', 'cockpit.status.merged': '已合并',
  },
  en: {
    'cockpit.title': 'Command cockpit', 'cockpit.updated': 'Updated {at}', 'cockpit.never': 'Not updated yet',
    'cockpit.paused': 'Auto refresh paused', 'cockpit.hidden': 'Tab hidden: paused', 'cockpit.refresh': 'Refresh now',
    'cockpit.pause': 'Pause auto refresh', 'cockpit.resume': 'Resume auto refresh', 'cockpit.exit': 'Leave the wall view',
    'cockpit.scope': 'Figures for', 'cockpit.whole': '{name} (all)', 'cockpit.open': 'Open tickets',
    'cockpit.overdue': 'Overdue', 'cockpit.breaches': 'SLA breaches, 30 days', 'cockpit.gaps': 'Staffing gaps',
    'cockpit.gapsGrids': '{n} grids short', 'cockpit.patrols': 'Patrols today', 'cockpit.coverage': 'Visit coverage',
    'cockpit.byGrade': 'Open tickets by grade', 'cockpit.byStatus': 'Tickets of 30 days by state',
    'cockpit.byChild': 'Grids below: {m}', 'cockpit.newest': 'Newest open tickets', 'cockpit.noTickets': 'No open tickets',
    'cockpit.map': 'Map colour', 'cockpit.drill': 'Drill the map into it', 'cockpit.up': 'Up one level',
    'cockpit.every': 'Refreshes every 30 s', 'cockpit.failed': 'Some figures could not be updated: {what}',
    'cockpit.status.reported': 'Reported', 'cockpit.status.accepted': 'Accepted', 'cockpit.status.handling': 'Handling',
    'cockpit.status.resolved': 'Resolved', 'cockpit.status.feedback_given': 'Feedback given', 'cockpit.status.rated': 'Rated',
    'cockpit.status.closed': 'Closed', 'cockpit.status.merged': 'Merged',
  },
});

const REFRESH_MS = 30_000;
const GRADES = ['daily', 'urgent', 'major'];
let renders = 0;

function figure(testid, label) {
  const value = h('span.value', '—');
  const extra = h('span.extra');
  const box = h('div.ck-figure', { 'data-testid': testid }, h('span.label', label), value, extra);
  return { box, set(v, more = '', bad = false) { value.textContent = v; extra.textContent = more; box.classList.toggle('bad', bad); } };
}

register({
  path: '/cockpit', title: 'cockpit.title', order: 11, chrome: false,
  roles: ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'auditor'],
  async render(page) {
    const mine = ++renders;
    const [{ GridMap, scaleFor, legend, GRADE_COLOURS }, { init }, root, config] = await Promise.all([
      import('../gridmap.js'), import('./charts.js'), data.rootCode(), data.portalConfig()]);
    if (mine !== renders) return undefined;
    if (!root) { page.append(h('h1', t('cockpit.title')), h('p', t('app.none'))); return undefined; }
    let alive = true;
    const reach = scope();
    const state = { view: root, focus: root, measure: 'open_tickets', paused: false, hidden: document.hidden };
    let viewGrid = await data.grid(root);
    let children = [];

    // --- the parts
    const updated = h('span.ck-updated', { 'data-testid': 'cockpit-updated', role: 'status' }, t('cockpit.never'));
    const pauseBtn = h('button', { type: 'button', 'data-testid': 'cockpit-pause', 'aria-pressed': 'false' }, t('cockpit.pause'));
    const refreshBtn = h('button', { type: 'button', 'data-testid': 'cockpit-refresh' }, t('cockpit.refresh'));
    const langBtn = h('button', { type: 'button', lang: currentLang() === 'zh' ? 'en' : 'zh-CN' }, t('app.lang'));
    const focusSelect = h('select', { id: 'ck-focus', 'data-testid': 'cockpit-focus' });
    const measureSelect = h('select', { id: 'ck-measure', 'data-testid': 'cockpit-measure' },
      data.MEASURES.map((m) => h('option', { value: m, selected: m === state.measure }, t(`gridmap.measure.${m}`))));
    const drillBtn = h('button', { type: 'button', 'data-testid': 'cockpit-drill', hidden: true }, t('cockpit.drill'));
    const upBtn = h('button', { type: 'button', 'data-testid': 'cockpit-up', hidden: true }, t('cockpit.up'));
    const problems = h('p.ck-problems', { role: 'status' });
    const where = h('span.ck-where', { 'data-testid': 'cockpit-where' });

    const fOpen = figure('cockpit-open', t('cockpit.open'));
    const fOverdue = figure('cockpit-overdue', t('cockpit.overdue'));
    const fBreaches = figure('cockpit-breaches', t('cockpit.breaches'));
    const fGaps = figure('cockpit-gaps', t('cockpit.gaps'));
    const fPatrols = figure('cockpit-patrols', t('cockpit.patrols'));
    const fCoverage = figure('cockpit-coverage', t('cockpit.coverage'));

    const chartBox = (testid, title) => {
      const el = h('div.ck-chart', { 'data-testid': testid, role: 'img', 'aria-label': title });
      return { panel: h('section.ck-panel', h('h2', title), el), el };
    };
    const gradeChart = chartBox('cockpit-chart-grade', t('cockpit.byGrade'));
    const statusChart = chartBox('cockpit-chart-status', t('cockpit.byStatus'));
    const childTitle = h('h2');
    const childEl = h('div.ck-chart.tall', { 'data-testid': 'cockpit-chart-children', role: 'img' });
    const newestList = h('ul.ck-tickets', { 'data-testid': 'cockpit-newest' });
    const mapEl = h('div.gridmap.dark', { 'data-testid': 'map', 'data-state': 'loading', role: 'region', 'aria-label': t('gridmap.label') });
    const legendSlot = h('div.legend-slot.dark');

    page.classList.add('cockpit');
    page.append(
      h('header.ck-head',
        h('h1', t('cockpit.title'), where),
        h('div.ck-controls',
          h('label', { for: 'ck-focus' }, t('cockpit.scope')), focusSelect, drillBtn, upBtn,
          h('label', { for: 'ck-measure' }, t('cockpit.map')), measureSelect),
        h('div.ck-refresh', updated, h('small.muted', t('cockpit.every')), refreshBtn, pauseBtn, langBtn,
          h('a.ck-exit', { href: '#/map' }, t('cockpit.exit')))),
      problems,
      h('div.ck-body',
        h('div.ck-left',
          h('div.ck-figures', { 'data-testid': 'cockpit-figures' }, fOpen.box, fOverdue.box, fBreaches.box, fGaps.box, fPatrols.box, fCoverage.box),
          gradeChart.panel, statusChart.panel),
        h('div.ck-map', mapEl, legendSlot),
        h('div.ck-right',
          h('section.ck-panel', childTitle, childEl),
          h('section.ck-panel', h('h2', t('cockpit.newest')), newestList))));

    const gm = new GridMap(mapEl, {
      dark: true, tileUrl: config.tile_url || '', tileAttribution: config.tile_attribution || '',
      onSelect: (code) => setFocus(code),
      onZoomBucket: async (z) => {
        if (!state.shapesSource || state.shapesSource !== 'shapes') return;
        const shapes = await data.shapes(state.view, { zoom: z }).catch(() => null);
        if (shapes && alive) await gm.setGrids(shapes.collection, { zoom: shapes.zoom, fit: false, stripPrefix: viewGrid.name });
      },
    });
    const charts = [];
    const chart = (el) => { const c = init(el, 'dark', { renderer: 'svg' }); charts.push(c); return c; };
    const cGrade = chart(gradeChart.el);
    const cStatus = chart(statusChart.el);
    const cChild = chart(childEl);
    const base = { backgroundColor: 'transparent', aria: { enabled: true }, textStyle: { fontFamily: 'inherit' }, animationDuration: 400 };

    // --- the map: the view's children
    async function drawView() {
      mapEl.dataset.state = 'loading';
      const started = performance.now();
      let [shapes, kids] = await Promise.all([
        data.shapes(state.view, { zoom: viewGrid.bbox ? gm.zoomFor(viewGrid.bbox)
          : viewGrid.area_m2 ? gm.zoomForArea(viewGrid.area_m2) : gm.tileZoom() }), data.children(state.view)]);
      if (shapes.source === 'shapes' && Math.abs(gm.zoomFor(shapes.bbox) - shapes.zoom) >= 2) {
        shapes = await data.shapes(state.view, { zoom: gm.zoomFor(shapes.bbox) });
      }
      if (!alive) return;
      children = kids;
      state.shapesSource = shapes.source;
      const frame = shapes.collection.features.length ? null : await data.outline(state.view).catch(() => null);
      await gm.setGrids(shapes.collection, { bbox: shapes.bbox || (frame ? data.bboxOf([frame]) : null), zoom: shapes.zoom, frame, stripPrefix: viewGrid.name });
      if (!alive) return;
      mapEl.dataset.state = 'ready';
      window.__portalMetrics = { ...(window.__portalMetrics || {}), cockpitMapDrawnMs: Math.round(performance.now() - started), cockpitShapesBytes: shapes.bytes };
      fillFocus();
    }

    function fillFocus() {
      clear(focusSelect,
        h('option', { value: state.view, selected: state.focus === state.view }, t('cockpit.whole', '', { name: viewGrid.name })),
        children.map((g) => h('option', { value: g.code, selected: state.focus === g.code }, g.name)));
      upBtn.hidden = state.view === root;
      drillBtn.hidden = state.focus === state.view || !children.some((g) => g.code === state.focus && g.level !== 'household_group');
    }

    function setFocus(code) {
      state.focus = code;
      gm.select(code === state.view ? null : code);
      fillFocus();
      refresh();
    }

    // --- the figures
    let busy = false;
    let again = false;
    async function refresh() {
      if (busy) { again = true; return; }
      busy = true;
      const focus = state.focus;
      const focusGrid = focus === state.view ? viewGrid : (children.find((g) => g.code === focus) || await data.grid(focus));
      where.textContent = ` · ${focusGrid.name}`;
      const failed = [];
      const soft = (what, p) => p.catch((err) => { failed.push(`${what} (${explain(err)})`); return null; });
      const codes = children.map((g) => g.code);
      // the overview route gives most figures in one call; without it, each from its own route
      const ov = await soft(t('cockpit.open'), data.overview(focus));
      const fromOverview = ov && ov.source === 'overview';
      const [stats, gapsAnswer, patrolsAnswer, newest, measure] = await Promise.all([
        soft(t('cockpit.byStatus'), data.statistics(focus)),
        fromOverview && ov.staff ? Promise.resolve(ov.staff.gaps) : soft(t('cockpit.gaps'), data.staffingGaps(focus)),
        fromOverview && ov.coverage ? Promise.resolve({ count: ov.coverage.patrols_today, more: false })
          : soft(t('cockpit.patrols'), data.patrolsToday(focus)),
        soft(t('cockpit.newest'), data.newestOpen(focus)),
        soft(t(`gridmap.measure.${state.measure}`), data.measure(state.view, state.measure, { codes })),
      ]);
      const gaps = gapsAnswer;
      const patrols = patrolsAnswer;
      busy = false;
      if (!alive) return;
      if (again) { again = false; refresh(); return; }

      const tk = ov && ov.tickets;
      fOpen.set(tk ? `${fmtNumber(tk.open)}${tk.open_more ? '+' : ''}` : '—',
        tk && tk.by_grade ? GRADES.filter((g) => tk.by_grade[g]).map((g) => `${t(`gridmap.grade.${g}`)} ${tk.by_grade[g]}`).join(' · ') : '');
      const overdue = tk ? tk.overdue : stats ? stats.open_overdue : null;
      fOverdue.set(fmtNumber(overdue), '', overdue > 0);
      fBreaches.set(stats ? fmtNumber(stats.sla_breaches.total) : '—',
        stats && stats.sla_breaches.rate != null ? fmtPercent(stats.sla_breaches.rate) : '', stats && stats.sla_breaches.total > 0);
      if (gaps) {
        const missing = Object.values(gaps.missing).reduce((a, b) => a + b, 0);
        fGaps.set(fmtNumber(missing), t('cockpit.gapsGrids', '', { n: gaps.grids_with_gaps }), missing > 0);
      } else fGaps.set('—');
      fPatrols.set(patrols ? `${fmtNumber(patrols.count)}${patrols.more ? '+' : ''}` : '—');
      const cv = ov && ov.coverage;
      fCoverage.set(cv ? fmtPercent(cv.coverage ?? null) : '—',
        cv && cv.households !== undefined ? `${fmtNumber(cv.visited)} / ${fmtNumber(cv.households)}${cv.period ? ` · ${cv.period}` : ''}` : '');

      const byGrade = (tk && tk.by_grade) || {};
      cGrade.setOption({
        ...base,
        tooltip: { trigger: 'item' },
        legend: { bottom: 0, textStyle: { color: '#c9d7ee' } },
        series: [{
          type: 'pie', radius: ['42%', '70%'], center: ['50%', '45%'], label: { color: '#e6eefc', formatter: '{c}' },
          data: GRADES.filter((g) => byGrade[g]).map((g) => ({ name: t(`gridmap.grade.${g}`), value: byGrade[g], itemStyle: { color: GRADE_COLOURS[g] } })),
        }],
      }, true);
      gradeChart.el.setAttribute('aria-label', `${t('cockpit.byGrade')}: ${GRADES.map((g) => `${t(`gridmap.grade.${g}`)} ${byGrade[g] || 0}`).join('，')}`);

      const byStatus = (stats && stats.by_status) || {};
      const states = Object.keys(byStatus);
      cStatus.setOption({
        ...base,
        tooltip: { trigger: 'axis' },
        grid: { left: 36, right: 8, top: 10, bottom: states.length > 4 ? 48 : 26 },
        xAxis: { type: 'category', data: states.map((s) => t(`cockpit.status.${s}`, s)), axisLabel: { color: '#c9d7ee', interval: 0, rotate: states.length > 4 ? 30 : 0 } },
        yAxis: { type: 'value', minInterval: 1, axisLabel: { color: '#c9d7ee' }, splitLine: { lineStyle: { color: '#1c3a60' } } },
        series: [{ type: 'bar', data: states.map((s) => byStatus[s]), itemStyle: { color: '#3ba0ff' }, barMaxWidth: 28 }],
      }, true);
      statusChart.el.setAttribute('aria-label', `${t('cockpit.byStatus')}: ${states.map((s) => `${t(`cockpit.status.${s}`, s)} ${byStatus[s]}`).join('，') || t('app.none')}`);

      // the map's measure, and the same per child as bars
      const mName = t(`gridmap.measure.${state.measure}`);
      clear(childTitle, t('cockpit.byChild', '', { m: mName }));
      clear(legendSlot);
      if (measure && measure.source) {
        const scale = scaleFor(state.measure, measure.values, true);
        gm.setValues(measure.values, scale);
        legendSlot.append(legend(scale, mName));
        const short = (name) => (name.startsWith(viewGrid.name) && name.length > viewGrid.name.length + 1 ? name.slice(viewGrid.name.length) : name);
        const rows = children.map((g) => [short(g.name), measure.values[g.code]]).filter(([, v]) => typeof v === 'number')
          .sort((a, b) => b[1] - a[1]).slice(0, 12).reverse();
        const ratio = state.measure === 'visit_coverage';
        cChild.setOption({
          ...base,
          tooltip: { trigger: 'axis', valueFormatter: (v) => (ratio ? fmtPercent(v) : fmtNumber(v, 1)) },
          grid: { left: 128, right: 24, top: 6, bottom: 24 },
          xAxis: { type: 'value', max: ratio ? 1 : undefined, minInterval: ratio || state.measure === 'score' ? undefined : 1, axisLabel: { color: '#c9d7ee', formatter: ratio ? (v) => `${Math.round(v * 100)}%` : undefined }, splitLine: { lineStyle: { color: '#1c3a60' } } },
          yAxis: { type: 'category', data: rows.map((r) => r[0]), axisLabel: { color: '#c9d7ee', width: 116, overflow: 'truncate' } },
          series: [{ type: 'bar', data: rows.map((r) => r[1]), itemStyle: { color: ratio ? '#2fc67c' : '#f08a24' }, barMaxWidth: 18 }],
        }, true);
        childEl.setAttribute('aria-label', `${t('cockpit.byChild', '', { m: mName })}: ${rows.slice().reverse().map((r) => `${r[0]} ${ratio ? fmtPercent(r[1]) : fmtNumber(r[1], 1)}`).join('，') || t('app.none')}`);
      } else {
        gm.setValues({}, null);
        cChild.clear();
        childEl.setAttribute('aria-label', t('map.unavailable', '—'));
        if (measure && !measure.source) failed.push(`${mName} (${t('map.unavailable', '—')})`);
      }

      clear(newestList, newest && newest.length ? newest.map((tkt) => h('li',
        h('span.badge', { class: `badge grade-${tkt.grade}` }, t(`gridmap.grade.${tkt.grade}`, tkt.grade)),
        h('a', { href: `#/tickets/${encodeURIComponent(tkt.id)}` }, tkt.number),
        h('span.desc', tkt.description), h('small', fmtTime(tkt.reported_at)))) : h('li.muted', t('cockpit.noTickets')));

      problems.textContent = failed.length ? t('cockpit.failed', '', { what: failed.join('；') }) : '';
      updated.textContent = t('cockpit.updated', '', { at: new Date().toLocaleTimeString(currentLang() === 'zh' ? 'zh-CN' : 'en', { hour12: false }) });
      updated.dataset.at = new Date().toISOString();
    }

    // --- refreshing by itself, not while hidden or paused
    let timer = null;
    function schedule() {
      clearInterval(timer);
      timer = null;
      if (state.paused || state.hidden) {
        updated.dataset.paused = 'true';
        return;
      }
      delete updated.dataset.paused;
      timer = setInterval(refresh, REFRESH_MS);
    }
    const onVisibility = () => {
      state.hidden = document.hidden;
      if (!state.hidden && !state.paused) refresh();
      schedule();
    };
    document.addEventListener('visibilitychange', onVisibility);
    pauseBtn.addEventListener('click', () => {
      state.paused = !state.paused;
      pauseBtn.setAttribute('aria-pressed', String(state.paused));
      pauseBtn.textContent = state.paused ? t('cockpit.resume') : t('cockpit.pause');
      if (!state.paused) refresh();
      schedule();
    });
    refreshBtn.addEventListener('click', refresh);
    langBtn.addEventListener('click', () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); window.dispatchEvent(new HashChangeEvent('hashchange')); });
    focusSelect.addEventListener('change', () => setFocus(focusSelect.value));
    measureSelect.addEventListener('change', () => { state.measure = measureSelect.value; refresh(); });
    drillBtn.addEventListener('click', async () => {
      state.view = state.focus;
      viewGrid = await data.grid(state.view);
      gm.select(null);
      await drawView();
      refresh();
    });
    upBtn.addEventListener('click', async () => {
      const parent = viewGrid.parent_code;
      if (!parent || (reach && !parent.startsWith(reach))) return;
      state.view = parent;
      state.focus = parent;
      viewGrid = await data.grid(parent);
      gm.select(null);
      await drawView();
      refresh();
    });
    const onResize = () => { gm.resize(); charts.forEach((c) => c.resize()); };
    window.addEventListener('resize', onResize);

    drawView().then(refresh).catch((err) => {
      mapEl.dataset.state = 'error';
      problems.textContent = explain(err);
      refresh();
    });
    schedule();
    return () => {
      alive = false;
      clearInterval(timer);
      document.removeEventListener('visibilitychange', onVisibility);
      window.removeEventListener('resize', onResize);
      charts.forEach((c) => c.dispose());
      gm.destroy();
      page.classList.remove('cockpit');
    };
  },
});
