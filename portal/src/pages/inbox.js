// 消息 (#/inbox): the caller's notices and notifications, newest first. Opening one sends
// its read receipt (POST /inbox/{id}/read), which is what the sender's read rate counts.
import { explain, get, post } from '../api.js';
import { addMessages, fmtTime, t } from '../i18n.js';
import { register } from '../router.js';
import { clear, errorBox, h, toast } from '../ui.js';
import './messages.css';

addMessages({
  zh: {
    'inbox.title': '消息', 'inbox.unread': '只看未读', 'inbox.count': '未读 {n} 条（已加载的）',
    'inbox.none': '没有消息', 'inbox.none.unread': '没有未读消息', 'inbox.from': '发送人 {who}',
    'inbox.read': '已读 {time}', 'inbox.new': '未读', 'inbox.ticket': '查看工单', 'inbox.kind.notice': '通知',
    'inbox.kind.notification': '工单提醒', 'inbox.send': '发通知',
  },
  en: {
    'inbox.title': 'Inbox', 'inbox.unread': 'Unread only', 'inbox.count': '{n} unread (of those loaded)',
    'inbox.none': 'No messages', 'inbox.none.unread': 'No unread messages', 'inbox.from': 'From {who}',
    'inbox.read': 'Read {time}', 'inbox.new': 'Unread', 'inbox.ticket': 'Open the ticket', 'inbox.kind.notice': 'Notice',
    'inbox.kind.notification': 'Ticket reminder', 'inbox.send': 'Send a notice',
  },
});

register({
  path: '/inbox', title: 'inbox.title', order: 80,
  async render(page, params, query) {
    const unread = h('input', { type: 'checkbox', 'data-testid': 'inbox-unread', checked: query.unread === 'true' });
    const status = h('p.hint', { 'data-testid': 'inbox-count', 'aria-live': 'polite' });
    const list = h('div', { 'data-testid': 'inbox-list' });
    const more = h('button', { type: 'button', 'data-testid': 'inbox-more', hidden: true }, t('app.more'));
    const items = [];
    let next = null;

    function countUnread() {
      const n = items.filter((x) => !x.read_at).length;
      status.textContent = t('inbox.count', '', { n });
    }

    function row(item) {
      const readLine = h('small', { 'data-testid': 'inbox-read-at' },
        item.read_at ? t('inbox.read', '', { time: fmtTime(item.read_at) }) : t('inbox.new'));
      const details = h('details.inbox-item', {
        'data-testid': 'inbox-item', dataset: { id: item.id, read: String(Boolean(item.read_at)), kind: item.kind || 'notice' },
      },
      h('summary', h('span.dot', { 'aria-hidden': 'true' }), h('span.title', item.title),
        h('span.badge', t(`inbox.kind.${item.kind || 'notice'}`)),
        h('small', fmtTime(item.created_at)), readLine),
      h('div.msg-body', h('p.text', item.body),
        h('p', h('small', t('inbox.from', '', { who: item.sender }))),
        item.ticket_id ? h('p', h('a', { href: `#/tickets/${encodeURIComponent(item.ticket_id)}` }, t('inbox.ticket'))) : null));
      details.addEventListener('toggle', async () => {
        if (!details.open || item.read_at) return;
        try {
          const receipt = await post(`/inbox/${encodeURIComponent(item.id)}/read`, {});
          item.read_at = receipt.read_at;
          details.dataset.read = 'true';
          readLine.textContent = t('inbox.read', '', { time: fmtTime(item.read_at) });
          countUnread();
        } catch (err) {
          toast(explain(err), 'error');   // offline: it is marked next time it is opened
        }
      });
      return details;
    }

    async function loadPage(reset) {
      if (reset) { items.length = 0; next = null; clear(list, h('p.loading', t('app.loading'))); }
      try {
        const answer = await get('/inbox', { unread: unread.checked ? 'true' : undefined, limit: 30, after: next || undefined });
        if (reset) clear(list);
        items.push(...answer.items);
        next = answer.next;
        list.append(...answer.items.map(row));
        if (!items.length) clear(list, h('p.empty', unread.checked ? t('inbox.none.unread') : t('inbox.none')));
        more.hidden = !next;
        countUnread();
        list.dataset.loaded = 'true';
      } catch (err) {
        clear(list, errorBox(err, () => loadPage(true)));
      }
    }
    unread.addEventListener('change', () => loadPage(true));
    more.addEventListener('click', () => loadPage(false));

    clear(page, h('h1', t('inbox.title')),
      h('div.row', h('label.check', unread, ' ', t('inbox.unread')), status),
      h('section.card', list, more));
    await loadPage(true);
  },
});
