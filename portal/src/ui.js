// Small DOM helpers: every page builds its elements with h(), so text is never parsed as HTML.
import { explain } from './api.js';
import { t } from './i18n.js';

/** h('button#id.primary', {onclick, 'aria-label': ...}, 'text', child, ...) */
export function h(tag, attrs = {}, ...children) {
  if (attrs === null || typeof attrs !== 'object' || attrs instanceof Node || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  const [nameAndId, ...classes] = tag.split('.');
  const [name, id] = nameAndId.split('#');
  const el = document.createElement(name || 'div');
  if (id) el.id = id;
  if (classes.length) el.className = classes.join(' ');
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style' && typeof v === 'object') Object.assign(el.style, v);
    else if (k in el && typeof v !== 'string') el[k] = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  append(el, children);
  return el;
}
function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}
export function clear(el, ...children) { el.replaceChildren(); append(el, children); return el; }

/** A banner saying what went wrong in plain words, with the API's code for support. */
export function errorBox(err, retry) {
  return h('div.error', { role: 'alert' }, explain(err),
    err && err.code ? h('small.code', ` (${err.code})`) : null,
    retry ? h('button', { type: 'button', onclick: retry }, t('app.retry')) : null);
}

let toastTimer;
export function toast(text, kind = 'info') {
  let box = document.getElementById('toast');
  if (!box) { box = h('div', { id: 'toast', role: 'status' }); document.body.append(box); }
  box.className = `toast ${kind}`;
  box.textContent = text;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { box.className = 'toast hidden'; }, 5000);
}

/** Run an async loader into a container, with loading and error states. */
export async function load(container, loader) {
  clear(container, h('p.loading', t('app.loading')));
  try {
    const content = await loader();
    clear(container, content);
  } catch (err) {
    if (err.name === 'AbortError') return;
    console.warn(err);
    clear(container, errorBox(err, () => load(container, loader)));
  }
}

/** A labelled field; `input` is any control. */
export function field(label, input, hint) {
  const id = input.id || `f-${Math.random().toString(36).slice(2, 9)}`;
  input.id = id;
  return h('div.field', h('label', { for: id }, label), input, hint ? h('small.hint', hint) : null);
}

/** A table from rows and columns [{label, value: row => node|text}]. */
export function table(columns, rows, { caption, empty } = {}) {
  if (!rows.length) return h('p.empty', empty || t('app.none'));
  return h('div.table-wrap', h('table',
    caption ? h('caption', caption) : null,
    h('thead', h('tr', columns.map((c) => h('th', { scope: 'col' }, c.label)))),
    h('tbody', rows.map((r) => h('tr', columns.map((c) => h('td', { dataset: { label: c.label } }, c.value(r))))))));
}

export function card(title, ...children) {
  return h('section.card', h('h2', title), ...children);
}

/** A figure: a big number with its label. */
export function stat(label, value, extra) {
  return h('div.stat', h('span.value', value), h('span.label', label), extra ? h('span.extra', extra) : null);
}
