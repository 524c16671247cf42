// The overview every signed-in account can open: who am I, what can I open.
import { addMessages, t } from '../i18n.js';
import { navRoutes, register, title } from '../router.js';
import { current } from '../session.js';
import { card, h } from '../ui.js';

addMessages({
  zh: { 'home.title': '我的', 'home.roles': '角色', 'home.open': '可以打开' },
  en: { 'home.title': 'Me', 'home.roles': 'Roles', 'home.open': 'You can open' },
});

register({
  path: '/me', title: 'home.title', order: 99,
  render(page) {
    const me = current();
    page.append(h('h1', me.display_name || me.username),
      card(t('home.roles'), h('ul', Object.values(me.role_labels || {}).map((label) => h('li', label)))),
      card(t('home.open'), h('ul', navRoutes().map((r) => h('li', h('a', { href: `#${r.path}` }, title(r)))))));
  },
});
