// 一张图: the grids of the user's scope on a map with no tile server, drilled down from the
// district to the household group, coloured by a measure, with each grid's overview and
// places and open tickets as points. The grid list beside the map is the same thing for
// the keyboard and screen readers. The view is in the hash: #/map?grid=CODE&measure=M.
import { explain } from '../api.js';
import * as data from '../griddata.js';
import { addMessages, currentLang, fmtNumber, fmtPercent, fmtTime, t } from '../i18n.js';
import { register } from '../router.js';
import { scope } from '../session.js';
import { clear, errorBox, field, h } from '../ui.js';
import './map.css';

addMessages({
  zh: {
    'map.title': '一张图', 'map.measure': '着色指标', 'map.level': '显示层级', 'map.level.children': '下一级网格',
    'map.level.leaf': '最小网格', 'map.layers': '图层', 'map.places': '场所', 'map.tickets': '未办结工单',
    'map.labels': '名称', 'map.breadcrumb': '层级导航', 'map.list': '网格列表', 'map.drill': '下钻',
    'map.drillInto': '下钻到 {name}', 'map.up': '上一级', 'map.noChildren': '{name} 下没有下级网格',
    'map.loading': '正在加载网格…', 'map.drawn': '已显示 {n} 个网格', 'map.close': '关闭',
    'map.overview': '网格概况', 'map.households': '户数', 'map.population': '人口', 'map.staff': '在岗人员',
    'map.gaps': '人员缺口', 'map.noGaps': '配备齐全', 'map.ticketsOpen': '未办结工单', 'map.overdue': '超时',
    'map.coverage': '走访覆盖', 'map.visited': '已走访 {v} / {n} 户', 'map.patrols': '本期巡查 {n} 次',
    'map.score': '最新考核得分', 'map.flags': '待核查预警', 'map.none': '无', 'map.unavailable': '暂不可用',
    'map.measureUnavailable': '“{m}”暂无数据来源（指标接口尚未提供），网格先不着色',
    'map.measureFallback': '“{m}”由现有接口汇总得出', 'map.measureAsOf': '数据时间 {at}',
    'map.pointsCount': '{n} 个点', 'map.pointsNone': '没有带坐标的点', 'map.more': '及更多',
    'map.partial': '部分概况来自现有接口', 'map.level.name.district': '区', 'map.level.name.town': '街道/镇',
    'map.level.name.community': '社区/村', 'map.level.name.villager_group': '网格',
    'map.level.name.household_group': '住户小组', 'map.exclusive': '专属网格', 'map.posts': '{n} 人在岗',
    'map.tooMany': '共 {n} 个网格，列表只列出前 {m} 个（地图上全部显示）',
    'map.patrolsToday': '今日巡查 {n} 次', 'map.results': '{n} 项结果', 'map.notShown': '仅对督导和审计人员显示',
    'map.missing': '部分服务未及时响应：{what}',
    'map.role.grid_chief': '网格长', 'map.role.grid_police': '网格警', 'map.role.full_time_worker': '专职网格员',
    'map.role.part_time_worker': '兼职网格员',
  },
  en: {
    'map.title': 'Map', 'map.measure': 'Colour by', 'map.level': 'Show', 'map.level.children': 'Next level',
    'map.level.leaf': 'Smallest grids', 'map.layers': 'Layers', 'map.places': 'Places', 'map.tickets': 'Open tickets',
    'map.labels': 'Names', 'map.breadcrumb': 'Where you are', 'map.list': 'Grids', 'map.drill': 'Drill in',
    'map.drillInto': 'Drill into {name}', 'map.up': 'Up', 'map.noChildren': 'No grids below {name}',
    'map.loading': 'Loading the grids…', 'map.drawn': '{n} grids shown', 'map.close': 'Close',
    'map.overview': 'Grid overview', 'map.households': 'Households', 'map.population': 'Population', 'map.staff': 'Staff on duty',
    'map.gaps': 'Staffing gaps', 'map.noGaps': 'Fully staffed', 'map.ticketsOpen': 'Open tickets', 'map.overdue': 'overdue',
    'map.coverage': 'Visit coverage', 'map.visited': '{v} of {n} households visited', 'map.patrols': '{n} patrols this period',
    'map.score': 'Latest score', 'map.flags': 'Flags to review', 'map.none': 'None', 'map.unavailable': 'Not available',
    'map.measureUnavailable': '"{m}" has no source yet (the measures route is not there): grids are not coloured',
    'map.measureFallback': '"{m}" is summed from existing routes', 'map.measureAsOf': 'as of {at}',
    'map.pointsCount': '{n} points', 'map.pointsNone': 'No points with a position', 'map.more': 'and more',
    'map.partial': 'Part of this overview comes from older routes', 'map.level.name.district': 'District',
    'map.level.name.town': 'Town / street', 'map.level.name.community': 'Community / village',
    'map.level.name.villager_group': 'Grid', 'map.level.name.household_group': 'Household group',
    'map.exclusive': 'Exclusive grid', 'map.posts': '{n} on duty',
    'map.tooMany': '{n} grids: the list shows the first {m} (the map shows all)',
    'map.patrolsToday': '{n} patrols today', 'map.results': '{n} results', 'map.notShown': 'Shown to supervisors and auditors only',
    'map.missing': 'Some services did not answer in time: {what}',
    'map.role.grid_chief': 'grid chief', 'map.role.grid_police': 'grid police officer',
    'map.role.full_time_worker': 'full-time worker', 'map.role.part_time_worker': 'part-time worker',
  },
});

const LEAF_LEVEL = 'household_group';
const LIST_MAX = 300;
const levelName = (level) => t(`map.level.name.${level}`, level || '');
export const measureName = (m) => t(`gridmap.measure.${m}`, m);

function hashFor(state) {
  const q = new URLSearchParams();
  if (state.grid) q.set('grid', state.grid);
  if (state.measure && state.measure !== 'none') q.set('measure', state.measure);
  if (state.level) q.set('level', state.level);
  if (state.sel) q.set('sel', state.sel);
  const s = q.toString();
  return `#/map${s ? `?${s}` : ''}`;
}

/** The overview's sections, drawn from GET /grids/{code}/overview or its fallback. */
export function overviewBody(ov) {
  const g = ov.grid || {};
  const problem = (section) => (ov.problems && ov.problems[section] ? h('p.muted', explain(ov.problems[section])) : null);
  const rows = [];
  rows.push(h('dl.ov-facts',
    h('dt', t('map.households')), h('dd', fmtNumber(g.households)),
    h('dt', t('map.population')), h('dd', fmtNumber(g.population))));

  // tickets
  const tk = ov.tickets;
  rows.push(h('section.ov-part', { 'data-testid': 'overview-tickets' }, h('h3', t('map.ticketsOpen')),
    tk ? h('p', h('strong.big', `${fmtNumber(tk.open)}${tk.open_more ? '+' : ''}`), ' ',
      tk.overdue ? h('span.badge.bad', `${fmtNumber(tk.overdue)} ${t('map.overdue')}`) : null) : null,
    tk && tk.by_grade ? h('ul.inline', Object.entries(tk.by_grade).map(([grade, n]) => h('li',
      h('span.badge', { class: `badge grade-${grade}` }, `${t(`gridmap.grade.${grade}`, grade)} ${fmtNumber(n)}`)))) : null,
    !tk ? (problem('tickets') || h('p.muted', t('map.unavailable'))) : null));

  // staff: posts in the grid itself, and the standard's gaps under it
  const st = ov.staff;
  const posts = (st && st.posts) || [];
  const gaps = st && st.gaps;
  const postLabel = (p) => (currentLang() === 'en' ? p.role_label_en : null) || p.role_label || p.post || t(`map.role.${p.role}`, p.role || '');
  const byPost = {};
  for (const p of posts) { const k = postLabel(p); byPost[k] = (byPost[k] || 0) + 1; }
  const missingText = (missing) => Object.entries(missing || {}).filter(([, n]) => n)
    .map(([r, n]) => `${t(`map.role.${r}`, r)} ×${n}`).join(currentLang() === 'en' ? ', ' : '，');
  const gapGrids = gaps ? (Array.isArray(gaps) ? gaps : gaps.grids || []) : [];
  const gapCount = gaps && !Array.isArray(gaps) ? gaps.grids_with_gaps : gapGrids.length;
  rows.push(h('section.ov-part', { 'data-testid': 'overview-staff' }, h('h3', t('map.staff')),
    st ? h('p', t('map.posts', '', { n: posts.length }),
      h('ul.inline', Object.entries(byPost).map(([k, n]) => h('li', h('span.badge', `${k} ${n}`))))) : null,
    st && posts.some((p) => p.name) ? h('ul.plain', posts.slice(0, 12).map((p) => h('li', `${p.name} · ${postLabel(p)}`))) : null,
    st ? h('h4', t('map.gaps')) : null,
    st && gaps ? (gapCount
      ? [gaps.missing ? h('p', missingText(gaps.missing)) : null,
        h('ul.plain', gapGrids.slice(0, 8).map((gap) => h('li', `${gap.name || gap.code}: ${missingText(gap.missing)}`)),
          gapCount > 8 ? h('li', `${t('map.more')} ${gapCount - 8}`) : null)]
      : h('p', h('span.badge.ok', t('map.noGaps')))) : null,
    !st ? (problem('staff') || h('p.muted', t('map.unavailable'))) : null));

  // coverage: visits in the period, patrols today
  const cv = ov.coverage;
  rows.push(h('section.ov-part', { 'data-testid': 'overview-coverage' }, h('h3', t('map.coverage')),
    cv ? h('p', h('strong.big', fmtPercent(cv.coverage ?? null)), ' ',
      cv.households !== undefined ? t('map.visited', '', { v: fmtNumber(cv.visited), n: fmtNumber(cv.households) }) : '',
      cv.period ? ` · ${cv.period}` : '') : (problem('coverage') || h('p.muted', t('map.unavailable'))),
    cv && cv.patrols_today !== undefined ? h('p', t('map.patrolsToday', '', { n: fmtNumber(cv.patrols_today) })) : null,
    cv && cv.patrols_period !== undefined ? h('p', t('map.patrols', '', { n: fmtNumber(cv.patrols_period) })) : null));

  // score: the latest published assessment's results under the grid
  const sc = ov.score;
  const scoreValue = sc && (sc.mean ?? sc.score ?? sc.value ?? null);
  const periods = sc && sc.assessments ? [...new Set(sc.assessments.map((a) => a.period))].join(', ') : '';
  rows.push(h('section.ov-part', { 'data-testid': 'overview-score' }, h('h3', t('map.score')),
    sc ? h('p', h('strong.big', fmtNumber(scoreValue, 1)), periods ? ` · ${periods}` : '',
      sc.results !== undefined ? ` · ${t('map.results', '', { n: sc.results })}` : '') : h('p.muted', t('map.none')),
    sc && sc.top && sc.top.length ? h('ol.plain', sc.top.slice(0, 3).map((r) => h('li', `${r.name || r.grid_name || r.subject_id} ${fmtNumber(r.score, 1)}`))) : null));

  // flags: open integrity flags (supervisors and auditors)
  const fl = ov.flags;
  const flagItems = (fl && fl.items) || [];
  const patternName = (f) => (typeof f.pattern_name === 'string' ? f.pattern_name
    : f.pattern_name && (f.pattern_name[currentLang()] || f.pattern_name.zh)) || f.pattern || '';
  rows.push(h('section.ov-part', { 'data-testid': 'overview-flags' }, h('h3', t('map.flags')),
    fl ? h('p', fl.open ? h('span.badge.warn', `${fmtNumber(fl.open)}${fl.more ? '+' : ''}`) : h('span.badge.ok', t('map.none')))
      : (problem('flags') || h('p.muted', ov.flags_shown === false ? t('map.notShown') : t('map.unavailable'))),
    flagItems.length ? h('ul.plain', flagItems.slice(0, 5).map((f) => h('li', patternName(f), f.period ? ` · ${f.period}` : ''))) : null));

  if (ov.missing && ov.missing.length) rows.push(h('p.muted.small', t('map.missing', '', { what: ov.missing.join(', ') })));
  if (ov.source === 'fallback') rows.push(h('p.muted.small', t('map.partial')));
  return rows;
}

let renders = 0; // a render whose page was replaced while it waited stops

register({
  path: '/map', title: 'map.title', order: 10,
  roles: ['admin', 'district_officer', 'town_leader', 'community_officer', 'grid_chief', 'grid_worker', 'auditor'],
  async render(page, _params, query) {
    const started = performance.now();
    const mine = ++renders;
    const [{ GridMap, scaleFor, legend }, root, config] = await Promise.all([
      import('../gridmap.js'), data.rootCode(), data.portalConfig()]);
    if (mine !== renders) return undefined;
    let alive = true;
    if (!root) { page.append(h('h1', t('map.title')), h('p', t('app.none'))); return undefined; }
    const reach = scope();
    const state = {
      grid: query.grid && (!reach || query.grid.startsWith(reach)) ? query.grid : root,
      measure: data.MEASURES.includes(query.measure) ? query.measure : 'none',
      level: query.level === 'leaf' ? 'leaf' : '',
      sel: query.sel || null,
    };

    // --- the page's parts
    const status = h('p.map-status', { role: 'status', 'data-testid': 'map-status' });
    const note = h('p.map-note', { 'data-testid': 'map-measure-note', hidden: true });
    const crumbs = h('ol');
    const breadcrumb = h('nav.breadcrumb', { 'aria-label': t('map.breadcrumb'), 'data-testid': 'map-breadcrumb' }, crumbs);
    const measureSelect = h('select', { 'data-testid': 'map-measure', name: 'measure' },
      ['none', ...data.MEASURES].map((m) => h('option', { value: m, selected: m === state.measure }, measureName(m))));
    const levelSelect = h('select', { 'data-testid': 'map-level', name: 'level' },
      h('option', { value: '', selected: !state.level }, t('map.level.children')),
      h('option', { value: 'leaf', selected: state.level === 'leaf' }, t('map.level.leaf')));
    const toggle = (name, label, checked = false) => {
      const box = h('input', { type: 'checkbox', name, 'data-testid': `map-layer-${name}`, checked });
      return [box, h('label.check', box, ' ', label)];
    };
    const [placesBox, placesLabel] = toggle('places', t('map.places'));
    const [ticketsBox, ticketsLabel] = toggle('tickets', t('map.tickets'));
    const [labelsBox, labelsLabel] = toggle('labels', t('map.labels'), true);
    const pointsInfo = h('span.muted.small', { 'aria-live': 'polite' });
    const mapEl = h('div.gridmap', { 'data-testid': 'map', 'data-state': 'loading', role: 'region', 'aria-label': t('gridmap.label') });
    const legendSlot = h('div.legend-slot');
    const panel = h('section.ov-panel', { 'data-testid': 'grid-overview', role: 'region', 'aria-labelledby': 'ov-title', tabindex: '-1', hidden: true });
    const listNote = h('p.muted.small');
    const list = h('ul.grid-list', { 'data-testid': 'map-grid-list' });
    const listBox = h('nav.grid-list-box', { 'aria-label': t('map.list') }, h('h2', t('map.list')), listNote, list);

    page.append(
      h('div.map-head', h('h1', t('map.title')), breadcrumb),
      h('div.map-toolbar',
        field(t('map.measure'), measureSelect),
        field(t('map.level'), levelSelect),
        h('fieldset.layers', h('legend', t('map.layers')), placesLabel, ticketsLabel, labelsLabel, pointsInfo)),
      note,
      h('div.map-layout',
        h('div.map-stage', mapEl, legendSlot, status),
        h('div.map-side', panel, listBox)));

    const gm = new GridMap(mapEl, {
      tileUrl: config.tile_url || '', tileAttribution: config.tile_attribution || '',
      onSelect: (code) => openOverview(code, null),
      onZoomBucket: (z) => reloadGeometry(z),
    });
    let current = null; // {code, features, source, zoom}
    let measureToken = 0;
    let opener = null;

    function updateHash(push) {
      const next = hashFor(state);
      if (location.hash === next) return;
      if (push) history.pushState(null, '', next); else history.replaceState(null, '', next);
    }

    async function drawBreadcrumb(code) {
      const chain = await data.lineage(code, reach || root);
      clear(crumbs, chain.map((g, i) => h('li', i === chain.length - 1
        ? h('span', { 'aria-current': 'location' }, g.name)
        : h('a', { href: hashFor({ ...state, grid: g.code, sel: null }), onclick: (e) => { e.preventDefault(); showView(g.code, true); } }, g.name))));
      return chain[chain.length - 1];
    }

    function drawList(features) {
      const sorted = [...features].sort((a, b) => (a.properties.code < b.properties.code ? -1 : 1));
      listNote.textContent = sorted.length > LIST_MAX ? t('map.tooMany', '', { n: sorted.length, m: LIST_MAX }) : '';
      clear(list, sorted.slice(0, LIST_MAX).map((f) => {
        const p = f.properties;
        const v = gm.values[p.code];
        const value = state.measure !== 'none' && gm.scale ? h('span.val', typeof v === 'number' ? gm.scale.format(v) : '—') : null;
        const open = h('button.item', {
          type: 'button', 'data-testid': 'map-grid-item', 'data-code': p.code, 'aria-pressed': String(state.sel === p.code),
          onclick: (e) => openOverview(p.code, e.currentTarget),
          onfocus: () => { gm.select(p.code); },
        }, h('span.name', p.name), h('small.muted', ` ${p.kind === 'exclusive' ? t('map.exclusive') : levelName(p.level)}`), value);
        const drill = p.level !== LEAF_LEVEL && p.code !== current.code
          ? h('button.drill', { type: 'button', 'aria-label': t('map.drillInto', '', { name: p.name }), onclick: () => showView(p.code, true) }, t('map.drill'))
          : null;
        return h('li', open, drill);
      }));
    }

    function fetchMeasure() {
      if (state.measure === 'none' || !current) return null;
      const codes = current.features.map((f) => f.properties.code);
      return data.measure(current.code, state.measure, { level: state.level, codes })
        .catch((err) => ({ values: {}, source: null, error: err }));
    }

    /** Colour the map by the chosen measure (`asked`: its answer, already on the way). */
    async function applyMeasure(asked) {
      const token = ++measureToken;
      const pending = asked || fetchMeasure();
      if (!pending) {
        clear(legendSlot);
        note.hidden = true;
        gm.setValues({}, null);
        drawList(current ? current.features : []);
        return;
      }
      const answer = await pending;
      if (token !== measureToken || !alive) return;
      clear(legendSlot);
      note.hidden = true;
      note.classList.remove('info');
      const m = measureName(state.measure);
      if (!answer.source) {
        gm.setValues({}, null);
        note.hidden = false;
        note.textContent = answer.error ? `${m}: ${explain(answer.error)}` : t('map.measureUnavailable', '', { m });
      } else {
        const scale = scaleFor(state.measure, answer.values);
        gm.setValues(answer.values, scale);
        legendSlot.append(legend(scale, m));
        if (answer.source === 'fallback' || answer.as_of) {
          note.hidden = false;
          note.classList.toggle('info', answer.source !== 'fallback');
          note.textContent = answer.source === 'fallback' ? t('map.measureFallback', '', { m }) : `${m} · ${t('map.measureAsOf', '', { at: fmtTime(answer.as_of) })}`;
        }
      }
      drawList(current.features);
    }

    let pointsToken = 0;
    async function loadPoints() {
      const token = ++pointsToken;
      const want = [['places', placesBox.checked, data.places], ['tickets', ticketsBox.checked, data.ticketPoints]];
      const counts = [];
      for (const [layer, on, loader] of want) {
        gm.showLayer(layer, on);
        if (!on) continue;
        try {
          const items = await loader(current.code);
          if (token !== pointsToken || !alive) return;
          gm.setPoints(layer, items);
          counts.push(`${t(`map.${layer}`)} ${items.length}`);
        } catch (err) {
          counts.push(`${t(`map.${layer}`)}: ${explain(err)}`);
        }
      }
      pointsInfo.textContent = counts.join(' · ');
    }

    let viewToken = 0;
    async function showView(code, push, { first = false } = {}) {
      const token = ++viewToken;
      mapEl.dataset.state = 'loading';
      status.textContent = t('map.loading');
      const previous = state.grid;
      state.grid = code;
      if (!first) state.sel = null;
      let shapes;
      let here;
      try {
        // the zoom the grid's extent will be seen at (from its bbox, else guessed from its
        // area), so the geometry is asked once at the right simplification
        here = await data.grid(code);
        const guessZoom = here.bbox ? gm.zoomFor(here.bbox)
          : here.area_m2 ? gm.zoomForArea(here.area_m2) : gm.tileZoom();
        performance.mark('map:shapes-asked');
        shapes = await data.shapes(code, { zoom: guessZoom, level: state.level });
        performance.mark('map:shapes-answered');
        // ask again at the zoom the extent really needs, when far from the guess
        if (shapes.source === 'shapes') {
          const z = gm.zoomFor(shapes.bbox);
          if (Math.abs(z - shapes.zoom) >= 2) shapes = await data.shapes(code, { zoom: z, level: state.level });
        }
      } catch (err) {
        if (token !== viewToken || !alive) return;
        mapEl.dataset.state = 'error';
        clear(status, errorBox(err, () => showView(code, push, { first })));
        state.grid = previous;
        return;
      }
      if (token !== viewToken || !alive) return;
      // GET /shapes answers a grid with nothing below it with the grid itself
      const feats = shapes.collection.features;
      const onlySelf = feats.length === 1 && feats[0].properties.code === code;
      if ((!feats.length || onlySelf) && !first) {
        status.textContent = t('map.noChildren', '', { name: here.name });
        state.grid = previous;
        mapEl.dataset.state = 'ready';
        return;
      }
      updateHash(push && !first);
      current = { code, name: here.name, features: shapes.collection.features, source: shapes.source, zoom: shapes.zoom };
      drawBreadcrumb(code).catch((err) => console.warn(err));
      performance.mark('map:list');
      drawList(current.features);
      performance.mark('map:listed');
      closeOverview(false);
      // a grid with nothing below it (a household group someone is scoped to): its own outline
      const frame = shapes.collection.features.length ? null : await data.outline(code).catch(() => null);
      const bbox = shapes.bbox || (frame ? data.bboxOf([frame]) : null);
      gm.setValues({}, null);
      // the measure is asked while the map draws, and coloured as soon as it is there:
      // states set before the tiles are cut cost nothing more
      applyMeasure(fetchMeasure());
      performance.mark('map:draw');
      const drawStarted = performance.now();
      await gm.setGrids(shapes.collection, { bbox, zoom: shapes.source === 'shapes' ? shapes.zoom : null, frame, stripPrefix: here.name });
      performance.mark('map:idle');
      gm.showLabels(labelsBox.checked);
      if (token !== viewToken || !alive) return;
      mapEl.dataset.state = 'ready';
      status.textContent = t('map.drawn', '', { n: fmtNumber(current.features.length) });
      if (first) {
        window.__portalMetrics = {
          ...(window.__portalMetrics || {}),
          mapDrawnMs: Math.round(performance.now() - started),
          shapesBytes: shapes.bytes, shapesApiMs: Math.round(shapes.ms),
          drawMs: Math.round(performance.now() - drawStarted),
          features: current.features.length, shapesSource: shapes.source, grid: code, level: state.level || 'children',
        };
      }
      if (placesBox.checked || ticketsBox.checked) loadPoints();
      if (first && state.sel) openOverview(state.sel, null);
    }

    async function reloadGeometry(zoom) {
      if (!current || current.source !== 'shapes') return;
      const code = current.code;
      try {
        const shapes = await data.shapes(code, { zoom, level: state.level });
        if (!alive || !current || current.code !== code) return;
        current.features = shapes.collection.features;
        current.zoom = shapes.zoom;
        await gm.setGrids(shapes.collection, { zoom: shapes.zoom, fit: false, stripPrefix: current.name });
        gm.showLabels(labelsBox.checked);
      } catch (err) {
        console.warn(err);
      }
    }

    // --- the overview panel
    let overviewToken = 0;
    async function openOverview(code, from) {
      const token = ++overviewToken;
      opener = from || document.activeElement;
      state.sel = code;
      updateHash(false);
      gm.select(code);
      list.querySelectorAll('button.item').forEach((b) => b.setAttribute('aria-pressed', String(b.dataset.code === code)));
      const feature = current && current.features.find((f) => f.properties.code === code);
      const name = feature ? feature.properties.name : code;
      const title = h('h2', { id: 'ov-title' }, name);
      const body = h('div.ov-body', h('p.loading', t('app.loading')));
      const drill = feature && feature.properties.level !== LEAF_LEVEL && code !== current.code
        ? h('button.primary', { type: 'button', 'data-testid': 'grid-drill', onclick: () => showView(code, true) }, t('map.drill'))
        : null;
      const close = h('button', { type: 'button', 'data-testid': 'grid-overview-close', 'aria-label': `${t('map.close')} ${t('map.overview')}`, onclick: () => closeOverview(true) }, '×');
      clear(panel,
        h('div.ov-head', h('div', h('small.muted', `${t('map.overview')} · ${code}`), title), close),
        feature ? h('p.muted', feature.properties.kind === 'exclusive' ? t('map.exclusive') : levelName(feature.properties.level)) : null,
        drill, body);
      panel.hidden = false;
      panel.dataset.code = code;
      panel.focus();
      try {
        const ov = await data.overview(code);
        if (token !== overviewToken || !alive) return;
        if (ov.grid && ov.grid.name) title.textContent = ov.grid.name;
        clear(body, overviewBody(ov));
      } catch (err) {
        console.warn(err);
        if (token !== overviewToken || !alive) return;
        clear(body, errorBox(err, () => openOverview(code, from)));
      }
    }

    function closeOverview(returnFocus) {
      if (panel.hidden) return;
      overviewToken += 1;
      panel.hidden = true;
      state.sel = null;
      gm.select(null);
      updateHash(false);
      list.querySelectorAll('button.item[aria-pressed="true"]').forEach((b) => b.setAttribute('aria-pressed', 'false'));
      if (returnFocus) {
        const target = opener && document.contains(opener) ? opener : mapEl.querySelector('canvas');
        if (target) target.focus();
      }
    }
    panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') { e.preventDefault(); closeOverview(true); } });

    // --- controls
    measureSelect.addEventListener('change', () => { state.measure = measureSelect.value; updateHash(false); applyMeasure(); });
    levelSelect.addEventListener('change', () => { state.level = levelSelect.value; showView(state.grid, false); });
    placesBox.addEventListener('change', loadPoints);
    ticketsBox.addEventListener('change', loadPoints);
    labelsBox.addEventListener('change', () => gm.showLabels(labelsBox.checked));
    const onResize = () => gm.resize();
    window.addEventListener('resize', onResize);

    showView(state.grid, false, { first: true });
    return () => {
      alive = false;
      window.removeEventListener('resize', onResize);
      gm.destroy();
    };
  },
});
