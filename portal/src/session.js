// The one account: sign in, who am I, and what my roles reach.
import { get, post, setToken, token } from './api.js';

let me = null;

export async function signIn(username, password) {
  const answer = await post('/auth/login', { username, password });
  setToken(answer.access_token);
  return loadMe();
}

export async function loadMe() {
  if (!token()) { me = null; return null; }
  me = await get('/me');
  localStorage.setItem('gridgov.me', JSON.stringify(me));
  return me;
}

/** Offline (a phone in the field): the account as last seen, so queued work can go on. */
export function cachedMe() {
  if (!token()) return null;
  try { return JSON.parse(localStorage.getItem('gridgov.me')); } catch { return null; }
}

export async function signOut() {
  try { await post('/auth/logout', {}); } catch { /* the token ends here either way */ }
  setToken(null);
  localStorage.removeItem('gridgov.me');
  // the service worker's copies of the to-do list were this account's (public/sw.js)
  if (globalThis.caches) await caches.delete('gridgov-api').catch(() => {});
  me = null;
}

export function current() { return me; }
export function setCurrent(account) { me = account; }
export function roles() { return new Set((me && me.roles) || []); }
export function hasRole(...wanted) { const mine = roles(); return wanted.some((r) => mine.has(r)); }
/** The subtree this account works in; null for district-wide roles. */
export function scope() { return (me && me.grid_scope) || null; }
