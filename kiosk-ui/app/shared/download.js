/**
 * Saves text as a file the operator downloads: a Blob URL clicked through a temporary link
 * (nothing leaves the kiosk; the page's CSP governs fetches, not this download), released
 * once the browser has taken it.
 */
export function downloadText(fileName, text, type = 'text/csv;charset=utf-8') {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
