// The map's data, shared by the map page and the cockpit: where the user starts, the grids'
// shapes, one number per grid for colouring, a grid's overview, places and open tickets.
// Each asks the route built for it first and, while that route is not there yet
// (404 ROUTE_NOT_FOUND), falls back to older routes, so the pages work either way.
import { ApiError, all, api, get } from './api.js';
import { sumByPrefix } from './mapscale.js';
import { scope } from './session.js';

/** A route the gateway does not have (yet): remembered so it is asked once per page load. */
const missing = new Set();
const isMissingRoute = (err) => err instanceof ApiError && err.status === 404 && err.code === 'ROUTE_NOT_FOUND';

async function tryRoute(key, call) {
  if (missing.has(key)) return undefined;
  try {
    return await call();
  } catch (err) {
    if (isMissingRoute(err)) { missing.add(key); return undefined; }
    throw err;
  }
}

/** Run jobs with at most `n` at once. */
async function pool(items, n, job) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await job(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
  return out;
}

// --- the portal's configuration (not an API route: the gateway serves it with the portal) ------

let config;
export async function portalConfig() {
  if (config) return config;
  try {
    const answer = await fetch('/portal/config.json', { headers: { Accept: 'application/json' } });
    config = answer.ok && (answer.headers.get('content-type') || '').includes('json') ? await answer.json() : {};
  } catch {
    config = {};
  }
  return config;
}

// --- grids ----------------------------------------------------------------------------------

const grids = new Map();
export async function grid(code) {
  if (!grids.has(code)) grids.set(code, get(`/grids/${encodeURIComponent(code)}`).catch((err) => { grids.delete(code); throw err; }));
  return grids.get(code);
}

/** The grid the user starts at: their scope, or the district's root for district-wide roles. */
export async function rootCode() {
  if (scope()) return scope();
  const districts = await get('/grids', { level: 'district', limit: 2 });
  if (districts.items.length) return districts.items[0].code;
  const first = await get('/grids', { limit: 1 });
  if (!first.items.length) return null;
  let top = first.items[0];
  while (top.parent_code) top = await grid(top.parent_code); // codes sort parents first; walk up to be sure
  return top.code;
}

/** The grid and its ancestors up to (and including) `stopAt`, top first. */
export async function lineage(code, stopAt) {
  const chain = [];
  let current = await grid(code);
  chain.unshift(current);
  while (current.parent_code && current.code !== stopAt) {
    if (stopAt && !current.parent_code.startsWith(stopAt)) break; // above the user's scope
    current = await grid(current.parent_code);
    chain.unshift(current);
  }
  return chain;
}

export function children(code) {
  return all('/grids', { parent: code }, 5000);
}

export function bboxOf(features) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const walk = (c) => {
    if (typeof c[0] === 'number') {
      if (c[0] < box[0]) box[0] = c[0];
      if (c[1] < box[1]) box[1] = c[1];
      if (c[0] > box[2]) box[2] = c[0];
      if (c[1] > box[3]) box[3] = c[1];
    } else c.forEach(walk);
  };
  features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
  return box[0] === Infinity ? null : box;
}

/**
 * The shapes under `code` for map zoom `zoom`: {collection, bbox, bytes, ms, source}.
 * level: '' (its children) or 'leaf'. From GET /grids/{code}/shapes (simplified on the
 * server), else from the registry: the children one by one, or the subtree's export.
 */
export async function shapes(code, { zoom, level = '', signal } = {}) {
  const started = performance.now();
  const path = `/grids/${encodeURIComponent(code)}/shapes`;
  const answer = await tryRoute('shapes', async () => {
    const res = await api('GET', path, { query: { zoom, level: level || undefined }, raw: true, signal });
    const text = await res.text();
    return { body: JSON.parse(text), bytes: new TextEncoder().encode(text).length };
  });
  if (answer) {
    const { body, bytes } = answer;
    const features = (body.features || []).filter((f) => f.geometry);
    return {
      collection: { type: 'FeatureCollection', features }, bbox: body.bbox || bboxOf(features), bytes,
      ms: performance.now() - started, source: 'shapes', zoom: body.zoom ?? zoom,
    };
  }
  let features;
  let bytes = 0;
  const list = level === 'leaf' ? null : await children(code);
  if (list && list.length <= 40) {
    // a few children: each one's geometry
    features = (await pool(list, 6, async (g) => {
      const res = await api('GET', `/grids/${encodeURIComponent(g.code)}`, { query: { geometry: true }, raw: true, signal });
      const text = await res.text();
      bytes += text.length;
      const one = JSON.parse(text);
      return one.geometry ? { type: 'Feature', geometry: one.geometry, properties: props(one) } : null;
    })).filter(Boolean);
  } else {
    // many (or the deepest level): the subtree's export in one answer
    const res = await api('GET', '/grids/export', { query: { root: code }, raw: true, signal });
    const text = await res.text();
    bytes = text.length;
    const all_ = JSON.parse(text).features.filter((f) => f.geometry && f.properties.code !== code);
    if (level === 'leaf') {
      const parents = new Set(all_.map((f) => f.properties.parent_code));
      features = all_.filter((f) => !parents.has(f.properties.code));
    } else {
      features = all_.filter((f) => f.properties.parent_code === code);
    }
    features = features.map((f) => ({ type: 'Feature', geometry: f.geometry, properties: props(f.properties) }));
  }
  return {
    collection: { type: 'FeatureCollection', features }, bbox: bboxOf(features), bytes,
    ms: performance.now() - started, source: 'registry', zoom,
  };
}

function props(g) {
  return { code: g.code, name: g.name, level: g.level, kind: g.kind, parent_code: g.parent_code };
}

/** The geometry of one grid (for the outline of the grid being looked at). */
export async function outline(code, { signal } = {}) {
  const one = await get(`/grids/${encodeURIComponent(code)}`, { geometry: true }, { signal });
  return one.geometry ? { type: 'Feature', geometry: one.geometry, properties: props(one) } : null;
}

// --- measures: one number per grid, for colouring -------------------------------------------

export const MEASURES = ['open_tickets', 'overdue_tickets', 'staffing_gaps', 'visit_coverage', 'score'];

export function currentPeriod() {
  const now = new Date(Date.now() + 8 * 3600e3); // Asia/Shanghai
  return now.toISOString().slice(0, 7);
}


async function openTickets(root, query, max = 2000) {
  const items = [];
  let before;
  do {
    const page = await get('/tickets', { root, status: 'open', ...query, limit: 500, before });
    items.push(...page.items);
    before = page.next;
  } while (before && items.length < max);
  return { items, truncated: Boolean(before) };
}

/**
 * {values: {code: n|null}, unit, source: 'measures'|'fallback'|null, as_of}. `codes`: the
 * grids drawn (for the fallbacks). source null: not available (the page says so).
 */
export async function measure(root, name, { level = '', codes = [] } = {}) {
  const answer = await tryRoute('measures', () => get(`/grids/${encodeURIComponent(root)}/measures`,
    { measure: name, level: level || undefined }));
  if (answer) return { values: answer.values || {}, unit: answer.unit, source: 'measures', as_of: answer.as_of };
  if (!codes.length) return { values: {}, source: null };
  const none = { values: {}, source: null };
  if (name === 'open_tickets' || name === 'overdue_tickets') {
    const { items, truncated } = await openTickets(root, name === 'overdue_tickets' ? { overdue: true } : {});
    if (truncated) return none;
    const counts = {};
    for (const t of items) counts[t.grid_code] = (counts[t.grid_code] || 0) + 1;
    return { values: sumByPrefix(codes, Object.entries(counts)), unit: 'tickets', source: 'fallback' };
  }
  if (name === 'staffing_gaps') {
    const gaps = await get('/staffing/gaps', { root });
    const entries = gaps.gaps.map((g) => [g.code, Object.values(g.missing || {}).reduce((a, b) => a + b, 0)]);
    const values = sumByPrefix(codes, entries);
    // below a staffed grid (a household group) the standard says nothing: unknown, not zero
    for (const c of codes) {
      if (!gaps.grids_checked || gaps.gaps.some((g) => c.startsWith(g.code) && c !== g.code)) values[c] = null;
    }
    return { values, unit: 'people', source: 'fallback' };
  }
  if (name === 'visit_coverage') {
    const report = await get('/coverage', { root, period: currentPeriod(), limit: 1 });
    const values = {};
    for (const c of codes) {
      const figures = report.by_town[c] || report.by_community[c] || report.by_grid[c];
      values[c] = figures ? figures.coverage : null;
    }
    return { values, unit: 'ratio', source: 'fallback' };
  }
  return none;
}

// --- one grid's overview ----------------------------------------------------------------------

/**
 * {grid, staff:{posts, gaps}, tickets:{open, overdue, by_grade, by_state}, coverage, score, flags,
 *  source, problems:{section: error}}: GET /grids/{code}/overview, else assembled.
 */
export async function overview(code) {
  const answer = await tryRoute('overview', () => get(`/grids/${encodeURIComponent(code)}/overview`));
  if (answer) return { ...answer, source: 'overview', problems: {} };
  const problems = {};
  const settle = async (section, call) => {
    try { return await call(); } catch (err) { problems[section] = err; return null; }
  };
  const [info, summary, gaps, posts, open, coverage, flags] = await Promise.all([
    grid(code),
    settle('summary', () => get(`/grids/${encodeURIComponent(code)}/summary`)),
    settle('staff', () => get('/staffing/gaps', { root: code })),
    settle('staff', () => get('/assignments', { root: code, on: new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10), limit: 200 })),
    settle('tickets', () => openTickets(code, {}, 1000)),
    settle('coverage', () => get('/coverage', { root: code, period: currentPeriod(), limit: 1 })),
    settle('flags', () => get('/integrity/flags', { root: code, status: 'raised', limit: 20 })),
  ]);
  let tickets = null;
  if (open) {
    const byGrade = {};
    const byState = {};
    let overdue = 0;
    const now = Date.now();
    for (const t of open.items) {
      byGrade[t.grade] = (byGrade[t.grade] || 0) + 1;
      byState[t.status] = (byState[t.status] || 0) + 1;
      const due = t.resolve_due && Date.parse(t.resolve_due);
      if (!t.suspended && due && due < now) overdue += 1;
    }
    tickets = { open: open.items.length, open_more: open.truncated, overdue, by_grade: byGrade, by_state: byState };
  }
  return {
    grid: { ...info, households: summary?.households ?? info.households, population: summary?.population ?? info.population },
    summary,
    staff: (gaps || posts) ? {
      // posts in this very grid (as the route gives them); names need GET /staff/{id}: left out
      posts: (posts?.items || []).filter((p) => !p.end_date && p.grid_code === code)
        .map((p) => ({ name: null, role: p.role, role_label: p.role_label })),
      gaps: gaps ? gapsOf(gaps) : null,
    } : null,
    tickets,
    coverage: coverage ? { period: coverage.period, households: coverage.total.households, visited: coverage.total.visited,
      coverage: coverage.total.coverage, patrols_period: coverage.total.patrols } : null,
    score: null,
    flags: flags ? { open: flags.items.length, more: Boolean(flags.next), items: flags.items } : null,
    source: 'fallback',
    problems,
  };
}

// --- points -------------------------------------------------------------------------------

export async function places(root) {
  const items = await all('/places', { root }, 2000);
  return items.filter((p) => p.lon != null && p.lat != null);
}

export async function ticketPoints(root) {
  const { items } = await openTickets(root, {}, 2000);
  return items.filter((t) => t.lon != null && t.lat != null);
}

/** Today's start (Asia/Shanghai) as epoch milliseconds. */
export function todayStart() {
  const shanghai = new Date(Date.now() + 8 * 3600e3);
  return Date.UTC(shanghai.getUTCFullYear(), shanghai.getUTCMonth(), shanghai.getUTCDate()) - 8 * 3600e3;
}

/** Patrols made today in the subtree: {count, more} (newest first, read until yesterday's). */
export async function patrolsToday(root, max = 3000) {
  const since = todayStart();
  let count = 0;
  let after;
  for (;;) {
    const page = await get('/patrols', { root, limit: 1000, after });
    for (const p of page.items) {
      if (Date.parse(p.occurred_at) >= since) count += 1;
    }
    const last = page.items[page.items.length - 1];
    after = page.next;
    if (!after || !last || Date.parse(last.occurred_at) < since) return { count, more: false };
    if (count >= max) return { count, more: true };
  }
}

/** The newest open tickets of the subtree (for the cockpit's list). */
export async function newestOpen(root, limit = 8) {
  return (await get('/tickets', { root, status: 'open', limit })).items;
}

/** Ticket statistics of the subtree (default period: the last 30 days). */
export function statistics(root) {
  return get('/tickets/statistics', { root });
}

/** GET /staffing/gaps as the overview's `staff.gaps`: {grids_checked, grids_with_gaps, missing, grids}. */
function gapsOf(answer) {
  const missing = {};
  for (const g of answer.gaps) for (const [k, n] of Object.entries(g.missing || {})) missing[k] = (missing[k] || 0) + n;
  return { grids_checked: answer.grids_checked, grids_with_gaps: answer.grids_with_gaps, missing, grids: answer.gaps.slice(0, 20) };
}

/** Staffing gaps of the subtree, in the overview's shape. */
export async function staffingGaps(root) {
  return gapsOf(await get('/staffing/gaps', { root }));
}

/** Whether a route was found missing (404 ROUTE_NOT_FOUND) on this page load. */
export function routeMissing(key) { return missing.has(key); }
