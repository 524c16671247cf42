// Helpers shared by the assessment, integrity and administration pages.
import { ApiError, token } from '../api.js';
import { currentLang, t } from '../i18n.js';

/** A {zh, en} name in the reader's language. */
export function label(name) {
  if (!name) return '';
  if (typeof name === 'string') return name;
  return (currentLang() === 'en' ? name.en || name.zh : name.zh || name.en) || '';
}

/** The first part of a UUID: enough to tell records apart on screen (title: the whole). */
export function shortId(id) { return id ? String(id).split('-')[0] : '—'; }

/** A file sent as multipart/form-data (field `file`) or as a JSON body, with the bearer
 *  token; `async` asks for a job (Prefer: respond-async). Answers {status, data}. */
export async function send(path, { form, json, async: wantJob = false } = {}) {
  const headers = { Accept: 'application/json' };
  const tok = token();
  if (tok) headers.Authorization = `Bearer ${tok}`;
  if (wantJob) headers.Prefer = 'respond-async';
  let body;
  if (form) body = form; else { headers['Content-Type'] = 'application/json'; body = json; }
  let answer;
  try {
    answer = await fetch(`/api/v1${path}`, { method: 'POST', headers, body });
  } catch {
    throw new ApiError(0, { error: 'NETWORK', message: t('error.network') });
  }
  const text = await answer.text();
  let data = null;
  if (text) { try { data = JSON.parse(text); } catch { data = { message: text }; } }
  if (!answer.ok) throw new ApiError(answer.status, data);
  return { status: answer.status, data };
}

// The router keeps one <main> for every page and does not wait for a page's render: a
// render still loading when the hash changes again must not add to what came after it.
const renders = {};
/** alive() is true while this render of the page `path` is the latest and still shown. */
export function guard(path) {
  renders[path] = (renders[path] || 0) + 1;
  const mine = renders[path];
  return () => mine === renders[path] && (location.hash.split('?')[0] === `#${path}`);
}
