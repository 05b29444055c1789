/**
 * The import route without an IAM role: list the matching keys with the person's own AWS
 * credentials and presign a GET for each, to send as a `urls` source, as dfipy's own tests do.
 *
 * Presigned URLs are bearer credentials until they expire: they go to the platform and nowhere
 * else (see log.ts, which masks their query strings in every result and log line).
 */
import { invalidInput } from '../errors.js';
import { DEFAULT_EXPIRES_IN, MAX_EXPIRES_IN, MAX_PRESIGNED_FILES, type Presigned } from './presign-limits.js';
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
}


export async function presignMatchingKeys(req: PresignRequest, now = Date.now()): Promise<Presigned> {
  const expiresIn = req.expiresIn ?? DEFAULT_EXPIRES_IN;
  if (!Number.isInteger(expiresIn) || expiresIn < 60 || expiresIn > MAX_EXPIRES_IN) {
    throw invalidInput(`expires_in must be from 60 to ${MAX_EXPIRES_IN} seconds (7 days, the most a presigned URL can live), not ${expiresIn}.`);
  }
  const client = await makeS3Client({ region: req.region, profile: req.profile, endpoint: req.endpoint });
  try {
    const keys: string[] = [];
    const listing = await listMatchingKeys(client, req.bucket, req.prefix, req.glob, {
      onKey: (key) => void (keys.length <= MAX_PRESIGNED_FILES && keys.push(key)),
    });
    const where = `s3://${req.bucket}/${req.prefix ?? ''}`;
    if (listing.matched === 0) {
      throw invalidInput(
        `nothing under ${where} matches "${req.glob}" (${listing.total} keys there), so there is nothing to presign.`,
        listing.matchedByName > 0 ? 'The files are in sub-folders: use a glob such as "**/*.csv".' : 'Check the bucket, the prefix and the glob (check_s3_source shows what matches).',
      );
    }
    if (listing.matched > MAX_PRESIGNED_FILES) {
      throw invalidInput(
        `${listing.matched} files under ${where} match "${req.glob}"; one presigned batch takes at most ${MAX_PRESIGNED_FILES} (the request would be too large for the API).`,
        'Split the import: one batch per sub-prefix (e.g. prefix "2024/01/", then "2024/02/"), or a narrower glob. Or use the IAM-role route (source.s3), which has no such limit.',
      );
    }
    keys.sort(naturalCompare);
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
    return { urls, keys, expiresAt: new Date(now + effective * 1000).toISOString(), expiresInSeconds: effective, bytes: listing.bytes, warnings };
  } finally {
    client.destroy();
  }
}
