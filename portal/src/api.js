// The one client of the public API: the portal calls nothing a department system could not.
import { t } from './i18n.js';

export const API = '/api/v1';
const TOKEN_KEY = 'gridgov.token';

export function token() { return localStorage.getItem(TOKEN_KEY); }
export function setToken(value) {
  if (value) localStorage.setItem(TOKEN_KEY, value); else localStorage.removeItem(TOKEN_KEY);
}

/** An answer of the API that is not a 2xx, or no answer at all (status 0). */
export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.message) || `HTTP ${status}`);
    this.status = status;
    this.code = (body && body.error) || (status === 0 ? 'NETWORK' : `HTTP_${status}`);
    this.details = (body && body.details) || {};
  }

  /** field name -> messages, for a 400 that names fields. */
  get fields() { return this.details.fields || {}; }
}

let onSignedOut = () => {};
export function whenSignedOut(callback) { onSignedOut = callback; }

function url(path, query) {
  const u = new URL(path.startsWith('/') && !path.startsWith(API) ? API + path : path, location.origin);
  for (const [k, v] of Object.entries(query || {})) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) v.forEach((item) => u.searchParams.append(k, item));
    else u.searchParams.set(k, v);
  }
  return u.pathname + u.search;
}

/** Call the API: JSON in, JSON out. Throws ApiError (status 0 when offline). */
export async function api(method, path, { body, query, headers = {}, raw = false, signal } = {}) {
  const h = { Accept: 'application/json', ...headers };
  const tok = token();
  if (tok) h.Authorization = `Bearer ${tok}`;
  if (body !== undefined) h['Content-Type'] = 'application/json';
  let answer;
  try {
    answer = await fetch(url(path, query), {
      method, headers: h, body: body === undefined ? undefined : JSON.stringify(body), signal,
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { error: 'NETWORK', message: t('error.network') });
  }
  if (answer.status === 401 && tok) { setToken(null); onSignedOut(); }
  if (raw) {
    if (!answer.ok) throw new ApiError(answer.status, await answer.json().catch(() => null));
    return answer;
  }
  const text = await answer.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = { message: text }; } }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return data;
}

export const get = (path, query, opts) => api('GET', path, { ...opts, query });
export const post = (path, body, opts) => api('POST', path, { ...opts, body });

/** Every page of a paged list (items + next), up to `max` items. */
export async function all(path, query = {}, max = 2000) {
  const items = [];
  let after;
  do {
    const page = await get(path, { ...query, limit: Math.min(200, max - items.length), after });
    items.push(...page.items);
    after = page.next;
  } while (after && items.length < max);
  return items;
}

/** Plain words for an error: the code's own sentence when we know it, else the API's message. */
export function explain(err) {
  if (!(err instanceof ApiError)) return t('error.unexpected');
  const known = t(`error.${err.code}`, null);
  const fields = Object.entries(err.fields).map(([f, msgs]) => `${t(`field.${f}`, f)}: ${[].concat(msgs).join(' ')}`);
  return [known || err.message, ...fields].join(' · ');
}
