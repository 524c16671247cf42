// The portal's shell: sign-in, the navigation the account's roles allow, and the page.
import './style.css';
import { whenSignedOut } from './api.js';
import { addMessages, currentLang, setLang, t } from './i18n.js';
import { allowed, go, match, navRoutes, title } from './router.js';
import { cachedMe, current, loadMe, roles, scope, setCurrent, signOut } from './session.js';
import { clear, errorBox, h } from './ui.js';
import './pages/index.js';
import { renderSignIn } from './pages/signin.js';

addMessages({
  zh: { 'shell.home': '首页', 'shell.user': '当前用户' },
  en: { 'shell.home': 'Home', 'shell.user': 'Signed in as' },
});

const app = document.getElementById('app');
let cleanup = null;
let page = null;

// The page each role lands on: the first of these its roles allow.
const HOMES = ['/map', '/tickets', '/today', '/assessment', '/inbox'];

function homePath() {
  const mine = roles();
  if (mine.has('grid_worker') && mine.size === 1) return '/today';
  if (mine.has('auditor') && mine.size === 1) return '/assessment';
  if (mine.has('department') || mine.has('resident')) return '/tickets';
  for (const path of HOMES) {
    const found = match(`#${path}`);
    if (found && allowed(found.route)) return path;
  }
  return '/me';
}

function shell() {
  const me = current();
  const nav = h('nav.nav', { 'aria-label': t('app.nav'), id: 'nav' },
    h('ul', navRoutes().map((r) => h('li', h('a', { href: `#${r.path}`, dataset: { path: r.path } }, title(r))))));
  const toggle = h('button.menu-toggle', {
    type: 'button', 'aria-controls': 'nav', 'aria-expanded': 'false',
    onclick: (e) => {
      const open = nav.classList.toggle('open');
      e.currentTarget.setAttribute('aria-expanded', String(open));
    },
  }, t('app.menu'));
  page = h('main#main', { id: 'main', tabindex: '-1' });
  const header = h('header.top',
    toggle,
    h('a.brand', { href: '#/' }, h('img', { src: '/portal/icon.svg', alt: '', width: 28, height: 28 }),
      h('span', t('app.title'))),
    h('span.who', { 'aria-label': t('shell.user') }, me.display_name || me.username,
      scope() ? h('small', ` · ${t('app.scope')} ${scope()}`) : null),
    h('button.lang', { type: 'button', onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); start(); } },
      t('app.lang')),
    h('button.signout', { type: 'button', onclick: async () => { await signOut(); start(); } }, t('app.signout')));
  clear(app, header, h('div.body', nav, page));
  nav.addEventListener('click', (e) => {
    if (e.target.closest('a')) nav.classList.remove('open');
  });
}

async function route() {
  if (cleanup) { try { cleanup(); } catch (err) { console.warn(err); } cleanup = null; }
  const hash = location.hash || '#/';
  if (hash === '#/' || hash === '#') { go(homePath()); return; }
  const found = match(hash);
  const fullScreen = found && found.route.chrome === false;
  if (fullScreen) {
    document.body.classList.add('fullscreen');
    page = clear(app, h('main#main', { id: 'main', tabindex: '-1' })).firstChild;
  } else {
    if (document.body.classList.contains('fullscreen') || !document.getElementById('main')) {
      document.body.classList.remove('fullscreen');
      shell();
    }
    // a fresh <main> for every page: a page still loading writes into the one it was given,
    // now detached, never into the next page's
    const fresh = h('main', { id: 'main', tabindex: '-1' });
    document.getElementById('main').replaceWith(fresh);
    page = fresh;
  }
  document.querySelectorAll('.nav a').forEach((a) => {
    const active = found && a.dataset.path === found.route.path;
    if (active) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
  });
  if (!found) { clear(page, h('h1', t('app.notfound'))); return; }
  if (!allowed(found.route)) { clear(page, h('h1', t('app.forbidden'))); return; }
  document.title = `${title(found.route)} · ${t('app.title')}`;
  clear(page);
  try {
    const shown = page;
    const done = (await found.route.render(page, found.params, found.query)) || null;
    if (shown.isConnected) cleanup = done;
    else if (done) done();   // the user moved on while it loaded
    if (navigated && shown.isConnected && !shown.contains(document.activeElement)) shown.focus({ preventScroll: true });
  } catch (err) {
    console.warn(err);
    clear(page, errorBox(err, route));
  }
}

async function start() {
  document.title = t('app.title');
  let me = null;
  try {
    me = await loadMe();
  } catch (err) {
    if (err.status === 0) me = cachedMe();   // offline: work on with the account last seen
    else if (err.status !== 401) { clear(app, errorBox(err, start)); return; }
  }
  if (!me) {
    renderSignIn(app, () => start());
    return;
  }
  setCurrent(me);
  shell();
  await route();
}

whenSignedOut(() => start());
// focus moves to the new page on navigation (screen readers hear it), not on first load
let navigated = false;
window.addEventListener('hashchange', () => { navigated = true; if (current()) route(); });
start();

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  navigator.serviceWorker.register('/portal/sw.js', { scope: '/portal/' }).catch((err) => console.warn(err));
}
