/**
 * Local checks of a batch before anything is sent: everything that can be known without the
 * platform reading the files. Errors stop the call with what is wrong and how to fix it; warnings go
 * along with the result.
 */
import { checkGlob } from '../aws/glob.js';
import { displayUrl } from '../net/display-url.js';
import { invalidInput, UserFacingError } from '../errors.js';
import { jsonDepthOver, MAX_JSON_DEPTH, type BatchRequest, type Dataset, type WireSource } from '../dfi/schemas.js';
import { POLICY_ARN_RE, roleArnProblem } from '../rules/arn.js';
import { toWireFormat, type FileFormat } from '../rules/fields.js';
import { formatProblems, MAX_COLUMN, type FormatProblem } from '../rules/format.js';
import { bucketNameProblem, normaliseBucket, normalisePrefix, prefixWarning } from '../rules/s3.js';

export interface S3SourceArgs {
  bucket: string;
  prefix?: string | undefined;
  glob: string;
  role_arn: string;
  policy?: Record<string, unknown> | undefined;
  policy_arns?: string[] | undefined;
}
export type SourceArgs = { s3: S3SourceArgs } | { urls: string[] };

/**
 * The stable code of each put_batch warning (returned in preflight.warningCodes, in the order of
 * preflight.warnings). Code branches on these, never on a warning's wording.
 */
export const PREFLIGHT_WARNING_CODES = [
  'duplicate_url',
  'bucket_name_read',
  'legacy_bucket_name',
  'prefix_slash_removed',
  'prefix_without_slash',
  'no_prefix',
  'glob_not_csv',
  'core_field_shares_column',
  'shared_column',
  'unmapped_required_properties',
  'credentials_expire_early',
  'compressed_files',
  'nothing_matches',
  'glob_readings_differ',
  's3_not_checked',
  'role_problem',
  'role_not_fully_checked',
  'role_not_checked',
  'already_imported',
  'confirmation_ignored',
] as const;
export type PreflightWarningCode = (typeof PREFLIGHT_WARNING_CODES)[number];
export interface PreflightWarning {
  code: PreflightWarningCode;
  text: string;
}

export type Preflight = {
  checks: { name: string; ok: boolean; message: string }[];
  warnings: string[];
  /** warningCodes[i] is the code of warnings[i]. */
  warningCodes: PreflightWarningCode[];
};

/** Adds a warning with its code. */
export function warn(pf: Preflight, code: PreflightWarningCode, text: string): void {
  pf.warnings.push(text);
  pf.warningCodes.push(code);
}

export const MAX_URLS = 10_000;
/** AWS STS: "The plaintext that you use for both inline and managed session policies can't exceed 2,048 characters." */
const MAX_SESSION_POLICY_CHARS = 2048;

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
      if (seen.has(u)) warn(pf, 'duplicate_url', `source.urls lists ${displayUrl(u)} more than once: its rows would be imported twice.`);
      seen.add(u);
    }
    pf.checks.push({ name: 'source', ok: errors.length === 0, message: `${source.urls.length} URL(s)` });
    return { urls: source.urls };
  }
  const s3 = source.s3;
  const bucket = normaliseBucket(s3.bucket);
  if (bucket !== s3.bucket) warn(pf, 'bucket_name_read', `bucket "${s3.bucket}" was read as the bucket name "${bucket}".`);
  const name = bucketNameProblem(bucket);
  if (name && 'error' in name) errors.push(name.error);
  else if (name) warn(pf, 'legacy_bucket_name', name.warning);
  let prefix = s3.prefix;
  if (prefix !== undefined) {
    if (/^s3:\/\//i.test(prefix)) errors.push(`prefix "${prefix}" must be a key prefix, not an s3:// URI: give the part after the bucket name.`);
    const trimmed = normalisePrefix(prefix);
    if (trimmed !== prefix && prefix.startsWith('/')) warn(pf, 'prefix_slash_removed', `prefix "${prefix}": the leading "/" was removed (S3 keys do not start with one).`);
    prefix = trimmed;
    const sibling = prefixWarning(prefix);
    if (sibling) warn(pf, 'prefix_without_slash', sibling);
  } else {
    warn(pf, 'no_prefix', 'No prefix: the whole bucket is scanned for files that match the glob.');
  }
  if (!s3.glob.trim()) errors.push('glob is empty: give a pattern such as "*.csv" (files directly under the prefix) or "**/*.csv" (at any depth).');
  else {
    try {
      checkGlob(s3.glob);
    } catch (err) {
      errors.push(err instanceof UserFacingError ? `${err.message} ${err.hint ?? ''}`.trim() : `the glob is not a valid pattern.`);
    }
    if (!/csv/i.test(s3.glob)) warn(pf, 'glob_not_csv', `glob "${s3.glob}" does not mention csv: every matching file is read as CSV.`);
  }
  const roleProblem = roleArnProblem(s3.role_arn);
  if (roleProblem) errors.push(roleProblem);
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

/** A format problem in words for the assistant (rules/format.ts finds them). */
function describeFormatProblem(p: FormatProblem, dataset: Dataset, props: string[]): string {
  switch (p.code) {
    case 'missing_core_fields':
      return `file_format is missing ${p.fields.join(', ')}: every row needs them. infer_csv_format proposes them.`;
    case 'bad_column_index':
      return `file_format.${p.field} = ${p.index}: a column index must be a whole number from 0 to ${MAX_COLUMN} (0-based).`;
    case 'wire_name':
      return `file_format uses "${p.field}": write it in snake_case, "${p.write}" (it is sent as ${p.field}).`;
    case 'unknown_field':
      return `file_format maps "${p.field}", which is not a core field nor a property of dataset ${dataset.id}${p.suggestion ? `; did you mean "${p.suggestion}"?` : '.'} Its properties are: ${props.join(', ') || '(none)'}.`;
    case 'core_fields_share_column':
      return `file_format maps ${p.fields.join(' and ')} to the same column ${p.index}: each of entity_id, timestamp, longitude, latitude and altitude needs its own column${p.fields.includes('longitude') && p.fields.includes('latitude') ? ' (one column for both would put every point on the diagonal)' : ''}. infer_csv_format proposes a column map.`;
    case 'core_field_shares_column':
      return `Column ${p.index} is both ${p.core} and the propert${p.properties.length > 1 ? 'ies' : 'y'} ${p.properties.join(', ')}: check that this is meant.`;
    case 'shared_column':
      return `Column ${p.index} is mapped to ${p.fields.join(' and ')}: check that this is meant.`;
    case 'unmapped_required_properties':
      return `Properties that are not nullable are not mapped: ${p.properties.join(', ')}. The platform may reject every row without them; map them if the files have them.`;
  }
}

function checkFormat(format: FileFormat, dataset: Dataset, errors: string[], pf: Preflight): void {
  const schema = dataset.dataDescription?.metadataSchema ?? {};
  const props = Object.keys(schema);
  const found = formatProblems(format, schema);
  errors.push(...found.errors.map((p) => describeFormatProblem(p, dataset, props)));
  for (const p of found.warnings) warn(pf, p.code, describeFormatProblem(p, dataset, props));
  pf.checks.push({ name: 'file_format', ok: found.errors.length === 0, message: `${Object.keys(format).length} column(s) mapped` });
}

/** Builds the wire request from the tool's arguments, or throws with every problem found. */
export function buildBatchRequest(datasetId: string, source: SourceArgs, format: FileFormat, dataset: Dataset): { request: BatchRequest; preflight: Preflight } {
  const pf: Preflight = { checks: [{ name: 'dataset', ok: true, message: `dataset ${dataset.id} exists` }], warnings: [], warningCodes: [] };
  const errors: string[] = [];
  const wireSource = checkSource(source, errors, pf);
  checkFormat(format, dataset, errors, pf);
  if (errors.length) {
    throw invalidInput(`the batch was not sent; ${errors.length === 1 ? 'one problem' : `${errors.length} problems`}:\n- ${errors.join('\n- ')}`, 'Fix the arguments and call put_batch again (nothing was sent to the platform).');
  }
  return { request: { datasetId, source: wireSource, format: { csv: toWireFormat(format) } }, preflight: pf };
}
