// Pure helpers of the grid map (no DOM, no storage, no MapLibre): the colour classes of a
// measure, the legend's rows, zooms, label points. node --test runs them (test/map.test.js).

// Sequential ramps: "more is worse" (tickets, gaps) and "more is better" (coverage, score).
export const WORSE = ['#fff5d6', '#fdd49e', '#fc8d59', '#e34a33', '#b30000'];
export const BETTER = ['#d73027', '#fc8d59', '#fee08b', '#91cf60', '#1a9850'];
export const WORSE_DARK = ['#1f4e79', '#f6c343', '#f08a24', '#e5484d', '#ff2d55'];
export const GRADE_COLOURS = { daily: '#2f7ed8', urgent: '#f08a24', major: '#d62728' };

/** n colours from a ramp, its ends kept: the highest class is always the strongest colour. */
export function spread(ramp, n) {
  if (n >= ramp.length) return ramp;
  if (n <= 1) return [ramp[ramp.length - 1]];
  return Array.from({ length: n }, (_, i) => ramp[Math.round((i * (ramp.length - 1)) / (n - 1))]);
}
function dedupe(list) { return list.filter((v, i) => i === 0 || v > list[i - 1]); }
function quantile(values, p) {
  const a = [...values].sort((x, y) => x - y);
  if (!a.length) return 0;
  return a[Math.min(a.length - 1, Math.floor(p * a.length))];
}

/**
 * The colour classes of a measure's values {code: number|null}: {breaks, colours,
 * integer}. A value below breaks[0] takes colours[0], from breaks[i-1] up to breaks[i]
 * colours[i], from the last break on the last colour.
 */
export function scaleOf(name, values, dark = false) {
  const nums = Object.values(values).filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (name === 'visit_coverage') return { breaks: [0.3, 0.5, 0.7, 0.9], colours: BETTER, integer: false };
  if (name === 'score') {
    const lo = nums.length ? Math.min(...nums) : 0;
    const hi = nums.length ? Math.max(...nums) : 100;
    const step = Math.max((hi - lo) / 5, 0.1);
    const breaks = dedupe([1, 2, 3, 4].map((i) => Math.round((lo + step * i) * 10) / 10));
    return { breaks, colours: spread(BETTER, breaks.length + 1), integer: false };
  }
  // counts: 0 is its own class, then up to four classes to the largest
  const max = nums.length ? Math.max(...nums) : 0;
  let breaks;
  if (max <= 4) breaks = [1, 2, 3, 4];
  else {
    const positive = nums.filter((n) => n > 0);
    const q = (p) => Math.max(1, Math.round(quantile(positive, p)));
    breaks = dedupe([1, q(0.35), q(0.65), q(0.9)]);
  }
  return { breaks, colours: spread(dark ? WORSE_DARK : WORSE, breaks.length + 1), integer: true };
}

/** The classes as legend rows [{colour, label}], numbers written by `format`. */
export function classRows({ breaks, colours, integer, format = String }) {
  const rows = [];
  for (let i = 0; i <= breaks.length; i += 1) {
    const lo = i === 0 ? null : breaks[i - 1];
    const hi = i === breaks.length ? null : breaks[i];
    let label;
    if (integer && hi !== null && (lo === null ? hi === 1 : hi - 1 === lo)) label = format(hi - 1);
    else if (integer && lo !== null && hi !== null) label = `${format(lo)} – ${format(hi - 1)}`;
    else if (lo === null) label = `< ${format(hi)}`;
    else if (hi === null) label = `≥ ${format(lo)}`;
    else label = `${format(lo)} – ${format(hi)}`;
    rows.push({ colour: colours[Math.min(i, colours.length - 1)], label });
  }
  return rows;
}

/**
 * The web-mercator zoom (256-pixel tiles, as GET /grids/{code}/shapes takes it) of a
 * MapLibre zoom (512-pixel tiles): one more, so the server simplifies to a screen pixel.
 */
export function tileZoom(mapZoom) {
  return Math.max(0, Math.min(20, Math.round(mapZoom) + 1));
}

/** [west, south, east, north] of a Polygon or MultiPolygon's outer rings. */
export function bboxOfGeometry(geometry) {
  const box = [Infinity, Infinity, -Infinity, -Infinity];
  const rings = geometry.type === 'Polygon' ? [geometry.coordinates[0]] : geometry.coordinates.map((p) => p[0]);
  for (const ring of rings) {
    for (const [x, y] of ring) {
      if (x < box[0]) box[0] = x;
      if (y < box[1]) box[1] = y;
      if (x > box[2]) box[2] = x;
      if (y > box[3]) box[3] = y;
    }
  }
  return box;
}

/** Where a grid's name goes: the vertex average of its largest outer ring (inside for
 *  the convex-ish grids of a district). */
export function labelPoint(geometry) {
  const rings = geometry.type === 'Polygon' ? [geometry.coordinates[0]] : geometry.coordinates.map((p) => p[0]);
  let best = rings[0];
  for (const r of rings) if (r.length > best.length) best = r;
  let x = 0;
  let y = 0;
  const n = best.length - 1 || 1;
  for (let i = 0; i < n; i += 1) { x += best[i][0]; y += best[i][1]; }
  return [x / n, y / n];
}

/** Values keyed by `codes`, each the sum of the entries [code, n] lying in it (by prefix). */
export function sumByPrefix(codes, entries) {
  const values = Object.fromEntries(codes.map((c) => [c, 0]));
  for (const [code, n] of entries) {
    const hit = codes.find((c) => code.startsWith(c));
    if (hit) values[hit] += n;
  }
  return values;
}
