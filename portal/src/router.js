// Hash routes (#/map, #/tickets/ID): the gateway serves one page, the browser keeps the place.
// Each page module registers itself with the roles that may open it.
import { t } from './i18n.js';
import { hasRole } from './session.js';

const routes = [];

/**
 * register({path: '/tickets/:id', title: 'nav.tickets', roles: [...]|null, nav: true, icon, order,
 *           render: async (container, params, query) => cleanup?})
 */
export function register(route) { routes.push({ nav: true, order: 50, roles: null, ...route }); }

export function allowed(route) { return !route.roles || hasRole(...route.roles); }
export function navRoutes() {
  return routes.filter((r) => r.nav && allowed(r)).sort((a, b) => a.order - b.order);
}

export function match(hash) {
  const [pathPart, queryPart = ''] = (hash.replace(/^#/, '') || '/').split('?');
  const parts = pathPart.split('/').filter(Boolean);
  for (const route of routes) {
    const pattern = route.path.split('/').filter(Boolean);
    if (pattern.length !== parts.length) continue;
    const params = {};
    if (pattern.every((p, i) => (p.startsWith(':') ? (params[p.slice(1)] = decodeURIComponent(parts[i])) : p === parts[i]))) {
      return { route, params, query: Object.fromEntries(new URLSearchParams(queryPart)) };
    }
  }
  return null;
}

export function go(path) { location.hash = `#${path}`; }
export function title(route) { return t(route.title); }
