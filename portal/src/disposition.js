// The file name a download's Content-Disposition gives (pure: node --test reads it).

/** The file's own name from a Content-Disposition header (RFC 5987 filename* first). */
export function filenameFrom(disposition, fallback) {
  const cd = disposition || '';
  const star = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(cd);
  if (star) { try { return decodeURIComponent(star[1].trim()); } catch { /* the plain one */ } }
  const plain = /filename\s*=\s*"?([^";]+)"?/i.exec(cd);
  return plain ? plain[1] : fallback;
}
