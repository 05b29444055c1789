/**
 * Local checks of a batch before anything is sent: everything that can be known without the
 * platform reading the files. Errors stop the call with what is wrong and how to fix it; warnings go
 * along with the result.
 */
import { checkGlob } from '../aws/glob.js';
import { bucketNameProblem, prefixWarning, ROLE_ARN_RE } from '../aws/arn.js';
import { invalidInput, UserFacingError } from '../errors.js';
import { CORE_FIELDS, toWireFormat, type FileFormat } from '../csv/format.js';
import { jsonDepthOver, MAX_JSON_DEPTH, type BatchRequest, type Dataset, type WireSource } from '../dfi/schemas.js';
import { normaliseBucket, displayUrl } from '../aws/s3-names.js';

export interface S3SourceArgs {
  bucket: string;
  prefix?: string | undefined;
  glob: string;
  role_arn: string;
  policy?: Record<string, unknown> | undefined;
  policy_arns?: string[] | undefined;
}
export type SourceArgs = { s3: S3SourceArgs } | { urls: string[] };

export type Preflight = {
  checks: { name: string; ok: boolean; message: string }[];
  warnings: string[];
};

export const MAX_URLS = 10_000;
const MAX_COLUMN = 9_999;
/** AWS STS: "The plaintext that you use for both inline and managed session policies can't exceed 2,048 characters." */
const MAX_SESSION_POLICY_CHARS = 2048;
const POLICY_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::(?:\d{12}|aws):policy\/[\w+=,.@/-]+$/;

/** The closest name by edit distance, for "did you mean". */
function closest(name: string, candidates: string[]): string | undefined {
  const d = (a: string, b: string) => {
    const row = Array.from({ length: b.length + 1 }, (_, j) => j);
    for (let i = 1; i <= a.length; i++) {
      let prev = row[0]!;
      row[0] = i;
      for (let j = 1; j <= b.length; j++) {
        const tmp = row[j]!;
        row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
        prev = tmp;
      }
    }
    return row[b.length]!;
  };
  const best = candidates.map((c) => ({ c, dist: d(name.toLowerCase(), c.toLowerCase()) })).sort((a, b) => a.dist - b.dist)[0];
  return best && best.dist <= Math.max(2, Math.floor(name.length / 3)) ? best.c : undefined;
}

function checkSource(source: SourceArgs, errors: string[], pf: Preflight): WireSource {
  if ('urls' in source) {
    if (source.urls.length === 0) errors.push('source.urls is empty: give at least one URL.');
    if (source.urls.length > MAX_URLS) errors.push(`source.urls has ${source.urls.length} URLs; at most ${MAX_URLS} are sent in one batch. Split the files into several batches.`);
    const seen = new Set<string>();
    for (const u of source.urls) {
      let url: URL | undefined;
      try {
        url = new URL(u);
      } catch {
        errors.push(`source.urls: ${JSON.stringify(displayUrl(u))} is not a URL.`);
        continue;
      }
      if (url.protocol !== 'https:' && url.protocol !== 'http:') errors.push(`source.urls: ${displayUrl(u)} must be http or https.`);
      if (seen.has(u)) pf.warnings.push(`source.urls lists ${displayUrl(u)} more than once: its rows would be imported twice.`);
      seen.add(u);
    }
    pf.checks.push({ name: 'source', ok: errors.length === 0, message: `${source.urls.length} URL(s)` });
    return { urls: source.urls };
  }
  const s3 = source.s3;
  const bucket = normaliseBucket(s3.bucket);
  if (bucket !== s3.bucket) pf.warnings.push(`bucket "${s3.bucket}" was read as the bucket name "${bucket}".`);
  const name = bucketNameProblem(bucket);
  if (name && 'error' in name) errors.push(name.error);
  else if (name) pf.warnings.push(name.warning);
  let prefix = s3.prefix;
  if (prefix !== undefined) {
    if (/^s3:\/\//i.test(prefix)) errors.push(`prefix "${prefix}" must be a key prefix, not an s3:// URI: give the part after the bucket name.`);
    const trimmed = prefix.replace(/^\/+/, '');
    if (trimmed !== prefix) pf.warnings.push(`prefix "${prefix}": the leading "/" was removed (S3 keys do not start with one).`);
    prefix = trimmed || undefined;
    const sibling = prefixWarning(prefix);
    if (sibling) pf.warnings.push(sibling);
  } else {
    pf.warnings.push('No prefix: the whole bucket is scanned for files that match the glob.');
  }
  if (!s3.glob.trim()) errors.push('glob is empty: give a pattern such as "*.csv" (files directly under the prefix) or "**/*.csv" (at any depth).');
  else {
    try {
      checkGlob(s3.glob);
    } catch (err) {
      errors.push(err instanceof UserFacingError ? `${err.message} ${err.hint ?? ''}`.trim() : `the glob is not a valid pattern.`);
    }
    if (!/csv/i.test(s3.glob)) pf.warnings.push(`glob "${s3.glob}" does not mention csv: every matching file is read as CSV.`);
  }
  if (!ROLE_ARN_RE.test(s3.role_arn)) {
    errors.push(
      s3.role_arn.startsWith('arn:aws:s3:')
        ? `role_arn "${s3.role_arn}" is an S3 ARN, not a role ARN. Give the ARN of the IAM role that carries the trust policy: arn:aws:iam::<12-digit account>:role/<name>.`
        : `role_arn "${s3.role_arn}" is not an IAM role ARN. It must look like arn:aws:iam::123456789012:role/my-role (find it with: aws iam get-role --role-name <name>).`,
    );
  }
  for (const arn of s3.policy_arns ?? []) {
    if (!POLICY_ARN_RE.test(arn)) errors.push(`policy_arns: "${arn}" is not an IAM policy ARN (arn:aws:iam::<account or aws>:policy/<name>).`);
  }
  if (s3.policy !== undefined) {
    if (jsonDepthOver(s3.policy, MAX_JSON_DEPTH)) errors.push(`policy nests deeper than ${MAX_JSON_DEPTH} levels: it is not an IAM policy document.`);
    else if (!('Statement' in s3.policy)) errors.push('policy must be an IAM policy document with a "Statement" list.');
    else if (JSON.stringify(s3.policy).length > MAX_SESSION_POLICY_CHARS) {
      errors.push(`policy is ${JSON.stringify(s3.policy).length} characters as JSON; AWS accepts session policies of at most ${MAX_SESSION_POLICY_CHARS}: shorten it, or use policy_arns.`);
    }
  }
  pf.checks.push({ name: 'source', ok: errors.length === 0, message: `s3://${bucket}/${prefix ?? ''} glob ${s3.glob}` });
  return {
    s3: {
      bucket,
      ...(prefix !== undefined ? { prefix } : {}),
      glob: s3.glob,
      credentials: {
        RoleArn: s3.role_arn,
        ...(s3.policy ? { Policy: s3.policy } : {}),
        ...(s3.policy_arns?.length ? { PolicyArns: s3.policy_arns } : {}),
      },
    },
  };
}

function checkFormat(format: FileFormat, dataset: Dataset, errors: string[], pf: Preflight): void {
  const before = errors.length;
  const schema = dataset.dataDescription?.metadataSchema ?? {};
  const missing = CORE_FIELDS.filter((f) => !Object.hasOwn(format, f));
  if (missing.length) errors.push(`file_format is missing ${missing.join(', ')}: every row needs them. infer_csv_format proposes them.`);
  for (const [k, v] of Object.entries(format)) {
    if (!Number.isInteger(v) || v < 0 || v > MAX_COLUMN) errors.push(`file_format.${k} = ${v}: a column index must be a whole number from 0 to ${MAX_COLUMN} (0-based).`);
  }
  const wireNames = new Set(['entityId', 'metadataId']);
  const core = new Set<string>([...CORE_FIELDS, 'altitude', 'metadata_id']);
  const props = Object.keys(schema);
  for (const k of Object.keys(format)) {
    if (core.has(k) || Object.hasOwn(schema, k)) continue;
    if (wireNames.has(k)) {
      errors.push(`file_format uses "${k}": write it in snake_case, "${k === 'entityId' ? 'entity_id' : 'metadata_id'}" (it is sent as ${k}).`);
      continue;
    }
    const guess = closest(k, [...props, ...core]);
    errors.push(
      `file_format maps "${k}", which is not a core field nor a property of dataset ${dataset.id}${guess ? `; did you mean "${guess}"?` : '.'} Its properties are: ${props.join(', ') || '(none)'}.`,
    );
  }
  const byIndex = new Map<number, string[]>();
  for (const [k, v] of Object.entries(format)) byIndex.set(v, [...(byIndex.get(v) ?? []), k]);
  // Core fields need a column each (longitude and latitude on one column put every point on the
  // diagonal); a property may share a core field's column, but rarely means to.
  const coreFields = new Set<string>([...CORE_FIELDS, 'altitude']);
  for (const [i, names] of byIndex) {
    if (names.length < 2) continue;
    const cores = names.filter((n) => coreFields.has(n));
    const others = names.filter((n) => !coreFields.has(n));
    if (cores.length > 1) {
      errors.push(`file_format maps ${cores.join(' and ')} to the same column ${i}: each of entity_id, timestamp, longitude, latitude and altitude needs its own column${cores.includes('longitude') && cores.includes('latitude') ? ' (one column for both would put every point on the diagonal)' : ''}. infer_csv_format proposes a column map.`);
    } else if (cores.length === 1) {
      pf.warnings.push(`Column ${i} is both ${cores[0]} and the propert${others.length > 1 ? 'ies' : 'y'} ${others.join(', ')}: check that this is meant.`);
    } else {
      pf.warnings.push(`Column ${i} is mapped to ${names.join(' and ')}: check that this is meant.`);
    }
  }
  const unmappedRequired = Object.entries(schema).filter(([name, p]) => p.nullable === false && !Object.hasOwn(format, name));
  if (unmappedRequired.length) {
    pf.warnings.push(
      `Properties that are not nullable are not mapped: ${unmappedRequired.map(([n]) => n).join(', ')}. The platform may reject every row without them; map them if the files have them.`,
    );
  }
  pf.checks.push({ name: 'file_format', ok: errors.length === before, message: `${Object.keys(format).length} column(s) mapped` });
}

/** Builds the wire request from the tool's arguments, or throws with every problem found. */
export function buildBatchRequest(datasetId: string, source: SourceArgs, format: FileFormat, dataset: Dataset): { request: BatchRequest; preflight: Preflight } {
  const pf: Preflight = { checks: [{ name: 'dataset', ok: true, message: `dataset ${dataset.id} exists` }], warnings: [] };
  const errors: string[] = [];
  const wireSource = checkSource(source, errors, pf);
  checkFormat(format, dataset, errors, pf);
  if (errors.length) {
    throw invalidInput(`the batch was not sent; ${errors.length === 1 ? 'one problem' : `${errors.length} problems`}:\n- ${errors.join('\n- ')}`, 'Fix the arguments and call put_batch again (nothing was sent to the platform).');
  }
  return { request: { datasetId, source: wireSource, format: { csv: toWireFormat(format) } }, preflight: pf };
}
