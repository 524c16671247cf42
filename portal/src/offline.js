// The offline queue (离线待发): every write a phone makes in the field (patrols, visits,
// sentiment records) is stored in IndexedDB first, then sent; with no network it waits
// and goes out, in order, when the network is back.
//
// Each item gets its client_id and its Idempotency-Key once, when it is made (never when
// it is sent), so a re-send after a lost answer is stored once by the API: POST /patrols,
// /visits and /sentiments keep one record per (person, client_id) and answer a
// resubmission 200 with what was stored the first time; POST /tickets and ticket actions
// replay by the Idempotency-Key header. Both are sent on every attempt.
//
// Outcomes of one attempt:
//   2xx                    -> sent: the item leaves the queue (its answer is kept in `recent`)
//   status 0, 5xx, 408, 429 -> kept, retried later with backoff; later items wait (order)
//   401                    -> kept: the account must sign in again, then it goes
//   other 4xx              -> failed: kept with the plain-words reason, shown, deletable
// Attempts happen on enqueue, on start, on the `online` event, on a retry timer and on
// "send now". One sender at a time (Web Locks across tabs where the browser has them).
import { ApiError, api, explain, token } from './api.js';
import { addMessages, t } from './i18n.js';

const DB_NAME = 'gridgov-offline';
const STORE = 'outbox';
const RECENT_KEY = 'gridgov.outbox.recent';
const RETRY_EVERY_MS = 15000;
const BACKOFF_BASE_MS = 5000;
const BACKOFF_MAX_MS = 5 * 60 * 1000;
export const CHANGED = 'gridgov:outbox';

addMessages({
  zh: {
    'outbox.waiting': '等待发送（{n}）', 'outbox.failed': '发送失败（{n}）', 'outbox.sending': '正在发送…',
    'outbox.allsent': '全部已发送', 'outbox.sendnow': '立即发送', 'outbox.delete': '删除',
    'outbox.kind.patrol': '巡查签到', 'outbox.kind.visit': '入户走访', 'outbox.kind.sentiment': '社情民意',
    'outbox.kind.other': '提交', 'outbox.made': '记录于 {time}', 'outbox.attempts': '已尝试 {n} 次',
    'outbox.next': '下次重试 {time}', 'outbox.reason': '原因', 'outbox.title': '离线待发',
    'outbox.confirmdelete': '删除这条未发送的记录？删除后无法恢复。',
    'outbox.signin': '登录后发送',
  },
  en: {
    'outbox.waiting': 'Waiting to send ({n})', 'outbox.failed': 'Failed ({n})', 'outbox.sending': 'Sending…',
    'outbox.allsent': 'All sent', 'outbox.sendnow': 'Send now', 'outbox.delete': 'Delete',
    'outbox.kind.patrol': 'Patrol check-in', 'outbox.kind.visit': 'Household visit', 'outbox.kind.sentiment': 'Sentiment record',
    'outbox.kind.other': 'Submission', 'outbox.made': 'Made {time}', 'outbox.attempts': '{n} attempts',
    'outbox.next': 'Next try {time}', 'outbox.reason': 'Reason', 'outbox.title': 'Offline outbox',
    'outbox.confirmdelete': 'Delete this unsent record? It cannot be brought back.',
    'outbox.signin': 'Sent once you sign in',
  },
});

/** A UUID v4: crypto.randomUUID where the context is secure, else from getRandomValues. */
export function uuid() {
  if (globalThis.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// --- IndexedDB -------------------------------------------------------------------------------
let dbPromise = null;
function db() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const open = indexedDB.open(DB_NAME, 1);
      open.onupgradeneeded = () => {
        const store = open.result.createObjectStore(STORE, { keyPath: 'id' });
        store.createIndex('seq', 'seq');
      };
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => { dbPromise = null; reject(open.error); };
    });
  }
  return dbPromise;
}
async function tx(mode, work) {
  const conn = await db();
  return new Promise((resolve, reject) => {
    const t = conn.transaction(STORE, mode);
    const store = t.objectStore(STORE);
    let result;
    Promise.resolve(work(store)).then((r) => { result = r; }, reject);
    t.oncomplete = () => resolve(result);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}
const req = (r) => new Promise((resolve, reject) => { r.onsuccess = () => resolve(r.result); r.onerror = () => reject(r.error); });

/** The signed-in account's id (as last seen, so it works offline). */
function accountId() {
  try { return (JSON.parse(localStorage.getItem('gridgov.me')) || {}).id || null; } catch { return null; }
}

/** The queue of this account, oldest first. */
export async function items() {
  const all = await tx('readonly', (store) => req(store.index('seq').getAll()));
  const me = accountId();
  return all.filter((item) => item.account === me);
}

async function put(item) { await tx('readwrite', (store) => req(store.put(item))); }
export async function remove(id) { await tx('readwrite', (store) => req(store.delete(id))); changed(); }

let sending = false;
function changed(extra = {}) { window.dispatchEvent(new CustomEvent(CHANGED, { detail: { sending, ...extra } })); }
export function isSending() { return sending; }

/** Answers of items sent lately (newest first): what the server said, for the worker to see. */
export function recent() {
  try { return JSON.parse(localStorage.getItem(RECENT_KEY)) || []; } catch { return []; }
}
function remember(item, answer) {
  const list = [{ id: item.id, kind: item.kind, label: item.label, created_at: item.created_at,
    sent_at: new Date().toISOString(), account: item.account, answer }, ...recent()].slice(0, 20);
  localStorage.setItem(RECENT_KEY, JSON.stringify(list));
}
/** Forget this device's sent list (on sign-out: it names households). */
export function forgetRecent() { localStorage.removeItem(RECENT_KEY); }

// --- enqueue and send --------------------------------------------------------------------------
let seqCounter = 0;

/**
 * Store a write, then try to send it. `body` gets `client_id` (made here, once).
 * Resolves {state: 'sent', answer} | {state: 'queued', error?} | {state: 'failed', error}.
 */
export async function enqueue(kind, path, body, { label = '', method = 'POST' } = {}) {
  const id = uuid();
  const item = {
    id, kind, method, path, label,
    body: { ...body, client_id: body.client_id || id },
    idempotency_key: uuid(),
    account: accountId(),
    created_at: new Date().toISOString(),
    seq: Date.now() * 1000 + (seqCounter++ % 1000),
    state: 'queued', attempts: 0, next_at: 0, error: null,
  };
  await put(item);
  changed();
  await flush({ force: true });
  const after = await tx('readonly', (store) => req(store.get(id)));
  if (!after) {
    const sent = recent().find((r) => r.id === id);
    return { state: 'sent', answer: sent && sent.answer, item };
  }
  return { state: after.state, error: after.error && toError(after.error), item: after };
}

/** The stored error as an ApiError, so explain() words it in the language shown now. */
export function toError(stored) {
  const err = new ApiError(stored.status, { error: stored.code, message: stored.message, details: stored.details });
  return err;
}
const BY_STATUS = { 400: 'VALIDATION_FAILED', 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 404: 'NOT_FOUND',
  409: 'CONCURRENT_CHANGE', 429: 'RATE_LIMITED', 503: 'SERVICE_UNAVAILABLE' };
/** Plain words for an error: the code's sentence; for a code the portal does not know, the
 *  status's sentence with the API's own message beside it. */
export function plain(err) {
  if (!(err instanceof ApiError) || t(`error.${err.code}`, null) || !BY_STATUS[err.status]) return explain(err);
  const field = err.details && err.details.field ? ` · ${t(`field.${err.details.field}`, err.details.field)}` : '';
  return `${t(`error.${BY_STATUS[err.status]}`)}${field}（${err.message}）`;
}
export function reason(item) { return item.error ? plain(toError(item.error)) : ''; }

const transient = (status) => status === 0 || status >= 500 || status === 408 || status === 429;

async function sendOne(item) {
  try {
    const answer = await api(item.method, item.path, {
      body: item.body, headers: { 'Idempotency-Key': item.idempotency_key },
    });
    await tx('readwrite', (store) => req(store.delete(item.id)));
    remember(item, answer);
    return 'sent';
  } catch (err) {
    if (!(err instanceof ApiError)) throw err;
    const stored = { status: err.status, code: err.code, message: err.message, details: err.details,
      at: new Date().toISOString() };
    item.attempts += 1;
    item.error = stored;
    if (transient(err.status) || err.status === 401) {
      const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** Math.min(item.attempts - 1, 10));
      item.next_at = Date.now() + wait * (0.8 + Math.random() * 0.4);
      item.state = 'queued';
      await put(item);
      return 'wait';
    }
    item.state = 'failed';
    await put(item);
    return 'failed';
  }
}

async function drain(force) {
  if (!token()) return;
  if (navigator.onLine === false) return;   // surely offline: no attempt (the `online` event sends)
  const queue = (await items()).filter((item) => item.state !== 'failed');
  for (const item of queue) {
    if (!force && item.next_at > Date.now()) break;   // in order: the head waits, so do the rest
    sending = true;
    changed();
    const outcome = await sendOne(item);
    changed({ outcome, id: item.id });
    if (outcome === 'wait') break;
  }
}

let running = null;
/** Send what waits, oldest first. `force`: ignore the backoff (the network came back, or asked). */
export function flush({ force = false } = {}) {
  if (running) return running.then(() => (force ? flush({ force }) : undefined));
  const work = async () => {
    try {
      if (navigator.locks && navigator.locks.request) {
        await navigator.locks.request('gridgov-outbox', { ifAvailable: true }, (lock) => (lock ? drain(force) : null));
      } else {
        await drain(force);
      }
    } catch (err) {
      console.warn('outbox', err);
    } finally {
      sending = false;
      running = null;
      changed();
    }
  };
  running = work();
  return running;
}

/** Counts for a badge: {waiting, failed}. */
export async function counts() {
  const list = await items();
  return { waiting: list.filter((i) => i.state !== 'failed').length, failed: list.filter((i) => i.state === 'failed').length };
}

// --- triggers -----------------------------------------------------------------------------------
let started = false;
export function start() {
  if (started || typeof indexedDB === 'undefined') return;
  started = true;
  window.addEventListener('online', () => flush({ force: true }));
  setInterval(() => { if (navigator.onLine) flush(); }, RETRY_EVERY_MS);
  document.addEventListener('visibilitychange', () => { if (!document.hidden && navigator.onLine) flush(); });
  setTimeout(() => flush({ force: true }), 500);  // on start, once the shell has its account
}
start();

// For browser tests and support: the queue as the page sees it (same-origin code could
// call the API itself anyway).
Object.defineProperty(window, '__gridgovOutbox', {
  value: Object.freeze({ items, counts, flush, enqueue, remove, recent }), enumerable: false,
});
