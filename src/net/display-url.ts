/** URLs as they may be shown: presigned URLs carry credentials in their query string. */

/** Keeps a URL whole but its query string, which is masked (it may carry a credential under any name). */
export function maskQuery(u: string): string {
  const q = u.indexOf('?');
  if (q < 0 || u.slice(q).startsWith('?[') ) return u;
  return `${u.slice(0, q)}?[query masked]`;
}

/** Strips the query string: presigned URLs carry credentials there. */
export function displayUrl(u: string): string {
  try {
    const url = new URL(u);
    // Non-http schemes have no origin ("null"): show the scheme and host as written.
    const origin = url.origin === 'null' ? `${url.protocol}//${url.host}` : url.origin;
    return `${origin}${url.pathname}${url.search ? '?…' : ''}`;
  } catch {
    return '(invalid URL)';
  }
}

