/** The presigned route's limits and result, apart from the code that needs the AWS SDK (loaded only when used). */

/** 12 hours: long enough for a large import to fetch every file. */
export const DEFAULT_EXPIRES_IN = 12 * 3600;
/** SigV4 presigned URLs live at most 7 days. */
export const MAX_EXPIRES_IN = 7 * 24 * 3600;
/**
 * Files per batch. The API's limit is undocumented; 1,000 presigned URLs (1-2 KB each with a
 * session token) already make a 1-2 MB request body, which is where gateways start refusing.
 */
export const MAX_PRESIGNED_FILES = 1000;

/** One listed object, as the import ledger records it. */
export interface ListedObject {
  key: string;
  size: number;
  etag?: string | undefined;
}

export interface Presigned {
  urls: string[];
  keys: string[];
  /** The presigned objects (key, size, ETag), in the order of `keys`. */
  objects: ListedObject[];
  /** Matching objects left out by `keep` (only_new: those already imported). */
  skipped: ListedObject[];
  /** When the URLs stop working: the requested expiry, or the credentials' own, whichever is sooner. */
  expiresAt: string;
  bytes: number;
  /** Only one kind: the credentials expire before the URLs would (put_batch: credentials_expire_early). */
  warnings: string[];
}
