/* The portal's service worker: the app shell opens with no network; the grid worker's
 * to-do list is there offline as last seen. Writes are never cached: the page's offline
 * queue (src/offline.js) stores and sends them.
 *
 * - Shell (index.html and the built assets): precached at install, served cache-first.
 *   The build (vite.config.js, plugin "portal-sw") writes the list and a build id into
 *   this file, so each build is a new worker and a new cache; without them (this file
 *   served as is) the list is read from the Vite manifest, asset-manifest.json.
 * - API GETs: network first. Only the to-do list's reads (TODO_READS) are kept, under the
 *   signed-in token's hash, and answered from the cache when the network fails.
 * - Everything else (POST, other origins, other API reads): not touched.
 */
const BUILD = '__PORTAL_BUILD__';
const PRECACHE = /*__PORTAL_PRECACHE__*/ null;
const BASE = '/portal/';
const SHELL = `gridgov-shell-${BUILD}`;
const API_CACHE = 'gridgov-api';

// The reads of the to-do page (#/today), the only API answers kept for offline use.
const TODO_READS = [
  /^\/api\/v1\/me$/,
  /^\/api\/v1\/tickets$/,            // only with responsible=me (checked below)
  /^\/api\/v1\/follow-ups$/,
  /^\/api\/v1\/coverage$/,
  /^\/api\/v1\/campaigns$/,
  /^\/api\/v1\/households$/,
  /^\/api\/v1\/sentiments\/catalogue$/,
  /^\/api\/v1\/grids\/[0-9]+$/,
];
// The API_CACHE is deleted by the page on sign-out (session.js); entries are keyed by a
// hash of the Authorization header besides, so one account never reads another's copy.

async function shellList() {
  if (Array.isArray(PRECACHE)) return PRECACHE;
  const files = new Set(['', 'index.html', 'icon.svg', 'manifest.webmanifest', 'icon-192.png', 'icon-512.png']);
  try {
    const answer = await fetch(`${BASE}asset-manifest.json`, { cache: 'no-store' });
    const manifest = await answer.json();
    for (const chunk of Object.values(manifest)) {
      files.add(chunk.file);
      (chunk.css || []).forEach((f) => files.add(f));
      (chunk.assets || []).forEach((f) => files.add(f));
    }
  } catch (err) {
    console.warn('sw: no asset manifest', err);
  }
  return [...files];
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    const list = await shellList();
    // one by one: a missing optional file (an icon) must not stop the shell being kept
    await Promise.all(list.map((f) => cache.add(new Request(BASE + f, { cache: 'reload' }))
      .catch((err) => console.warn('sw: not cached', f, err))));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('gridgov-shell-') && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function tokenTag(request) {
  const auth = request.headers.get('Authorization') || '';
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(auth));
  return [...new Uint8Array(digest)].slice(0, 12).map((b) => b.toString(16).padStart(2, '0')).join('');
}

function isTodoRead(url) {
  if (!TODO_READS.some((re) => re.test(url.pathname))) return false;
  if (url.pathname === '/api/v1/tickets') return url.searchParams.get('responsible') === 'me';
  return true;
}

async function apiRead(request, url) {
  const key = `${url.href}${url.search ? '&' : '?'}__sw_account=${await tokenTag(request)}`;
  try {
    const answer = await fetch(request);
    if (answer.ok) {
      const cache = await caches.open(API_CACHE);
      await cache.put(key, answer.clone());
    }
    return answer;
  } catch (err) {
    const cached = await caches.match(key, { cacheName: API_CACHE, ignoreVary: true });
    if (cached) {
      const headers = new Headers(cached.headers);
      headers.set('X-Served-From', 'sw-cache');
      return new Response(await cached.blob(), { status: cached.status, headers });
    }
    throw err;
  }
}

async function shellRead(request, url) {
  const cache = await caches.open(SHELL);
  // every page of the portal is index.html (the routes are after the #)
  const navigation = request.mode === 'navigate' || url.pathname === BASE;
  // ignoreVary: a module script asks with an Origin header the install's request had not
  const hit = await cache.match(navigation ? `${BASE}index.html` : request, { ignoreSearch: navigation, ignoreVary: true });
  if (hit) return hit;
  try {
    return await fetch(request);
  } catch (err) {
    const fallback = navigation ? await cache.match(`${BASE}index.html`, { ignoreVary: true }) : null;
    if (fallback) return fallback;
    throw err;
  }
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;              // writes: the offline queue's business
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/')) {
    if (isTodoRead(url)) event.respondWith(apiRead(request, url));
    return;
  }
  if (url.pathname === `${BASE}sw.js` || url.pathname === `${BASE}config.json`) return;
  if (url.pathname.startsWith(BASE)) event.respondWith(shellRead(request, url));
});
