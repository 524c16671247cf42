// Exports (XLSX, CSV) fetched with the bearer token, never a token in a URL, and handed
// to the browser as a Blob link that is clicked at once.
import { api } from './api.js';
import { filenameFrom } from './disposition.js';
import { t } from './i18n.js';
import { h } from './ui.js';

/** Download GET path?query; answers {name, link}: the link (the file's name as the server
 *  gives it) may be shown to download it again. */
export async function download(path, query, fallbackName) {
  const answer = await api('GET', path, { query, raw: true, headers: { Accept: '*/*' } });
  const blob = await answer.blob();
  const name = filenameFrom(answer.headers.get('Content-Disposition'), fallbackName);
  const href = URL.createObjectURL(blob);
  const link = h('a.download', { href, download: name, 'data-testid': 'download-link' }, `${t('app.export')}: ${name}`);
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(href), 10 * 60e3);   // long enough to download it again
  return { name, link };
}
