/**
 * The import route without an IAM role: list the matching keys with the person's own AWS
 * credentials and presign a GET for each, to send as a `urls` source, as dfipy's own tests do.
 *
 * Presigned URLs are bearer credentials until they expire: they go to the platform and nowhere
 * else (see log.ts, which masks their query strings in every result and log line).
 */
import { invalidInput } from '../errors.js';
import { DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, MAX_PRESIGNED_FILES, type ListedObject, type Presigned } from './presign-limits.js';
export { DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, MAX_PRESIGNED_FILES, type Presigned };
import { listMatchingKeys, loadSdk, makeS3Client, s3Error } from './s3.js';

const natural = new Intl.Collator('en', { numeric: true, sensitivity: 'base' });
/** file-2 before file-10. */
export const naturalCompare = (a: string, b: string) => natural.compare(a, b) || (a < b ? -1 : a > b ? 1 : 0);

export interface PresignRequest {
  bucket: string;
  prefix?: string | undefined;
  glob: string;
  expiresIn?: number | undefined;
  profile?: string | undefined;
  region?: string | undefined;
  endpoint?: string | undefined;
  /** Which matching objects to presign (only_new: those not yet imported); default all. */
  keep?: ((o: ListedObject) => boolean) | undefined;
  /** The MCP call's signal: the listing stops when the call is cancelled. */
  signal?: AbortSignal | undefined;
}


export async function presignMatchingKeys(req: PresignRequest, now = Date.now()): Promise<Presigned> {
  const expiresIn = req.expiresIn ?? DEFAULT_EXPIRES_IN;
  if (!Number.isInteger(expiresIn) || expiresIn < 60 || expiresIn > MAX_EXPIRES_IN) {
    throw invalidInput(`expires_in must be from 60 to ${MAX_EXPIRES_IN} seconds (7 days, the most a presigned URL can live), not ${expiresIn}.`);
  }
  const client = await makeS3Client({ region: req.region, profile: req.profile, endpoint: req.endpoint, signal: req.signal });
  try {
    const objects: ListedObject[] = [];
    const skipped: ListedObject[] = [];
    const listing = await listMatchingKeys(client, req.bucket, req.prefix, req.glob, {
      onKey: (key, size, etag) => {
        const o = { key, size, ...(etag ? { etag } : {}) };
        if (req.keep && !req.keep(o)) skipped.push(o);
        else if (objects.length <= MAX_PRESIGNED_FILES) objects.push(o);
      },
    });
    const where = `s3://${req.bucket}/${req.prefix ?? ''}`;
    if (listing.matched === 0) {
      throw invalidInput(
        `nothing under ${where} matches "${req.glob}" (${listing.total} keys there), so there is nothing to presign.`,
        listing.matchedByName > 0 ? 'The files are in sub-folders: use a glob such as "**/*.csv".' : 'Check the bucket, the prefix and the glob (check_s3_source shows what matches).',
      );
    }
    if (listing.matched - skipped.length > MAX_PRESIGNED_FILES) {
      throw invalidInput(
        `${listing.matched - skipped.length} files under ${where} match "${req.glob}"; one presigned batch takes at most ${MAX_PRESIGNED_FILES} (the request would be too large for the API).`,
        'Split the import: one batch per sub-prefix (e.g. prefix "2024/01/", then "2024/02/"), or a narrower glob. Or use the IAM-role route (source.s3), which has no such limit.',
      );
    }
    objects.sort((a, b) => naturalCompare(a.key, b.key));
    skipped.sort((a, b) => naturalCompare(a.key, b.key));
    const keys = objects.map((o) => o.key);
    const warnings: string[] = [];
    let effective = expiresIn;
    const creds = await client.config.credentials().catch((err: unknown) => {
      throw s3Error(err, 'loading your AWS credentials', req.bucket, req.profile);
    });
    if (creds.expiration) {
      const left = Math.floor((creds.expiration.getTime() - now) / 1000);
      if (left < expiresIn) {
        effective = Math.max(0, left);
        warnings.push(
          `Your AWS credentials are temporary and expire at ${creds.expiration.toISOString()} (in ${Math.round(left / 60)} min): the presigned URLs stop working then, not after the ${Math.round(expiresIn / 3600)} h asked. For a long import, start a longer session (or use keys of an IAM user) and presign again.`,
        );
      }
    }
    const sdk = await loadSdk();
    const { getSignedUrl } = await import('@aws-sdk/s3-request-presigner');
    const urls = await Promise.all(keys.map((Key) => getSignedUrl(client, new sdk.GetObjectCommand({ Bucket: req.bucket, Key }), { expiresIn })));
    const bytes = objects.reduce((n, o) => n + o.size, 0);
    return { urls, keys, objects, skipped, expiresAt: new Date(now + effective * 1000).toISOString(), bytes, warnings };
  } finally {
    client.destroy();
  }
}
