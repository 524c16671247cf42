// Sign in with the one account.
import { explain } from '../api.js';
import { addMessages, currentLang, setLang, t } from '../i18n.js';
import { signIn } from '../session.js';
import { clear, field, h } from '../ui.js';

addMessages({
  zh: { 'signin.title': '登录', 'signin.username': '用户名', 'signin.password': '密码', 'signin.submit': '登录',
    'signin.lead': '一个门户，一个账号，一个数据源' },
  en: { 'signin.title': 'Sign in', 'signin.username': 'User name', 'signin.password': 'Password', 'signin.submit': 'Sign in',
    'signin.lead': 'One portal, one account, one data source' },
});

export function renderSignIn(app, done) {
  const username = h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 64 });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const message = h('div', { role: 'alert', 'aria-live': 'assertive' });
  const submit = h('button.primary', { type: 'submit' }, t('signin.submit'));
  const form = h('form.signin', {
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      clear(message);
      try {
        await signIn(username.value.trim(), password.value);
        done();
      } catch (err) {
        clear(message, h('p.error', explain(err)));
        password.select();
      } finally {
        submit.disabled = false;
      }
    },
  },
  h('h1', t('signin.title')),
  h('p.lead', t('signin.lead')),
  field(t('signin.username'), username),
  field(t('signin.password'), password),
  message, submit,
  h('button.link', { type: 'button', onclick: () => { setLang(currentLang() === 'zh' ? 'en' : 'zh'); renderSignIn(app, done); } },
    t('app.lang')));
  clear(app, h('main#main.signin-page', { id: 'main' },
    h('div.brand-big', h('img', { src: '/portal/icon.svg', alt: '', width: 56, height: 56 }), h('span', t('app.title'))),
    form));
  username.focus();
}
