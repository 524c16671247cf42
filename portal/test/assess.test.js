// node --test: the pure helpers of the assessment, integrity and administration pages.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { filenameFrom } from '../src/disposition.js';
import { ancestors, percentOf, placeOf, quarterOf } from '../src/pages/assess-pure.js';

test('a grid worker\'s ranking is looked for at their grid, then the grids above it', () => {
  assert.deepEqual(ancestors('320508019044001'), ['320508019044001', '320508019044', '320508019', '320508']);
  assert.deepEqual(ancestors('320508019'), ['320508019', '320508']);
  assert.deepEqual(ancestors('320508'), ['320508']);
});

test('the default period is the quarter of the day', () => {
  assert.equal(quarterOf(new Date(2026, 0, 1)), '2026-Q1');
  assert.equal(quarterOf(new Date(2026, 11, 6)), '2026-Q4');
  assert.equal(quarterOf(new Date(2026, 5, 30)), '2026-Q2');
});

test('an export keeps its own (Chinese) file name', () => {
  assert.equal(filenameFrom("attachment; filename=\"sheet.xlsx\"; filename*=UTF-8''%E8%80%83%E6%A0%B8.xlsx", 'x'), '考核.xlsx');
  assert.equal(filenameFrom('attachment; filename="dianbai-2026-Q4.csv"', 'x'), 'dianbai-2026-Q4.csv');
  assert.equal(filenameFrom(null, 'fallback.csv'), 'fallback.csv');
});

test('job progress in whole percent', () => {
  assert.equal(percentOf({ status: 'running', done: 1, total: 3 }), 33);
  assert.equal(percentOf({ status: 'queued', done: 0, total: 0 }), 0);
  assert.equal(percentOf({ status: 'succeeded', done: 0, total: 0 }), 100);
  assert.equal(percentOf({ status: 'running', done: 5, total: 4 }), 100);
});

test('a failing row or feature is named', () => {
  assert.deepEqual(placeOf({ row: 2, column: '身份证号码', reason: 'x' }), { kind: 'row', row: 2, column: '身份证号码' });
  assert.deepEqual(placeOf({ index: 0, code: '320508099', reason: 'x' }), { kind: 'feature', i: 1, code: '320508099' });
  assert.equal(placeOf({ index: null, reason: 'x' }), null);
});
