// node --test: the pure helpers of the map and the cockpit (src/mapscale.js).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BETTER, WORSE, bboxOfGeometry, classRows, labelPoint, scaleOf, spread, sumByPrefix, tileZoom } from '../src/mapscale.js';

test('small counts get a class each, 0 its own', () => {
  const scale = scaleOf('open_tickets', { a: 0, b: 1, c: 4, d: null });
  assert.deepEqual(scale.breaks, [1, 2, 3, 4]);
  assert.deepEqual(classRows(scale).map((r) => r.label), ['0', '1', '2', '3', '≥ 4']);
});

test('large counts are cut at quantiles and still end on the strongest colour', () => {
  const scale = scaleOf('staffing_gaps', { a: 0, b: 1, c: 5 });
  assert.deepEqual(scale.breaks, [1, 5]);
  assert.deepEqual(classRows(scale).map((r) => r.label), ['0', '1 – 4', '≥ 5']);
  assert.equal(scale.colours.at(-1), WORSE.at(-1));
  assert.equal(scale.colours[0], WORSE[0]);
});

test('coverage is classed by fixed shares, low in red', () => {
  const scale = scaleOf('visit_coverage', { a: 0.2, b: 0.95 });
  assert.deepEqual(scale.breaks, [0.3, 0.5, 0.7, 0.9]);
  assert.equal(scale.colours[0], BETTER[0]);
  const rows = classRows({ ...scale, format: (v) => `${Math.round(v * 100)}%` });
  assert.equal(rows[0].label, '< 30%');
  assert.equal(rows.at(-1).label, '≥ 90%');
});

test('scores spread between the lowest and the highest', () => {
  const scale = scaleOf('score', { a: 60, b: 100 });
  assert.deepEqual(scale.breaks, [68, 76, 84, 92]);
});

test('spread keeps both ends of a ramp', () => {
  assert.deepEqual(spread(['a', 'b', 'c', 'd', 'e'], 3), ['a', 'c', 'e']);
  assert.deepEqual(spread(['a', 'b', 'c'], 5), ['a', 'b', 'c']);
});

test('the shapes route is asked one zoom above MapLibre\'s, within 0..20', () => {
  assert.equal(tileZoom(10.4), 11);
  assert.equal(tileZoom(10.6), 12);
  assert.equal(tileZoom(-1), 0);
  assert.equal(tileZoom(22), 20);
});

test('a grid\'s box and its label point', () => {
  const square = { type: 'Polygon', coordinates: [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]] };
  assert.deepEqual(bboxOfGeometry(square), [0, 0, 2, 2]);
  assert.deepEqual(labelPoint(square), [1, 1]);
  const multi = { type: 'MultiPolygon', coordinates: [square.coordinates, [[[5, 5], [6, 5], [5, 6], [5, 5]]]] };
  assert.deepEqual(bboxOfGeometry(multi), [0, 0, 6, 6]);
});

test('tickets are summed into the grids that hold them', () => {
  const values = sumByPrefix(['320508019', '320508014'], [['320508019044001', 2], ['320508019045', 1], ['320508014021', 4], ['320509', 9]]);
  assert.deepEqual(values, { 320508019: 3, 320508014: 4 });
});
