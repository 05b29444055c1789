/** Globs and URLs of S3 sources as people write them, read the one way the rest of the code expects. */
import { compileGlob } from './glob.js';

/** Bucket reading is an S3 location rule: rules/s3.ts. */
export { normaliseBucket } from '../rules/s3.js';

/** The one glob matcher for keys relative to the prefix (see glob.ts for the syntax and its bounds). */
export function globMatcher(glob: string): (relativeKey: string) => boolean {
  return compileGlob(glob);
}

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

