// Pure helpers of the assessment, integrity and administration pages (no DOM, no
// storage): node --test runs them (portal/test/assess.test.js).

/** A grid code and the codes above it, nearest first (district 6, town 9, community 12 digits). */
export function ancestors(code) {
  const out = [code];
  for (const n of [12, 9, 6]) if (code.length > n) out.push(code.slice(0, n));
  return out;
}

/** The quarter a day lies in: 2026-Q4. */
export function quarterOf(day = new Date()) {
  return `${day.getFullYear()}-Q${Math.floor(day.getMonth() / 3) + 1}`;
}

/** Job progress in whole percent: done of total; a finished job without a total is 100. */
export function percentOf(job) {
  if (job.total) return Math.max(0, Math.min(100, Math.round((100 * job.done) / job.total)));
  return job.status === 'succeeded' ? 100 : 0;
}

/** Where a failing row of a roster or feature of a grid import is, for its line. */
export function placeOf(error) {
  if (error.row !== undefined && error.row !== null) return { kind: 'row', row: error.row, column: error.column || null };
  if (error.index !== undefined && error.index !== null) return { kind: 'feature', i: error.index + 1, code: error.code || null };
  return null;
}
