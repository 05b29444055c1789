/**
 * The platform as the tools see it: small groups of operations, each taking an AbortSignal so that a
 * cancelled MCP call stops its HTTP work. `DfiClient` (client.ts) implements it over HTTP, for the
 * real platform and the embedded sandbox alike; tests may implement a group in-process.
 */
import type { QueryAnswer, QueryDocument } from './query.js';
import type { BatchRequest, Dataset, DryRun, Job, Permissions, StatusUpdate } from './schemas.js';

export interface CallOptions {
  /** Aborts the call (and its retries); the tool's `ctx.signal`. */
  signal?: AbortSignal | undefined;
}

/** The Import API. */
export interface ImportOperations {
  /** The trust policy, verbatim: usually a JSON object, possibly a string the checks must parse. */
  getAwsTrustPolicy(opts?: CallOptions): Promise<unknown>;
  /** A dry run (retried on failure) or a real import (never sent twice). */
  putBatch(body: BatchRequest, dryRun: DryRun, opts?: CallOptions): Promise<Job>;
  getBatch(id: string, opts?: CallOptions): Promise<Job>;
  getBatchStatus(id: string, opts?: CallOptions): Promise<StatusUpdate[]>;
  abortBatch(id: string, opts?: CallOptions): Promise<Job>;
}

/** The Datasets API. */
export interface DatasetOperations {
  listDatasets(q?: { name?: string; before?: string; limit?: number }, opts?: CallOptions): Promise<Dataset[]>;
  getDataset(id: string, opts?: CallOptions): Promise<Dataset>;
  getDatasetSchema(id: string, type?: 'full' | 'core' | 'withMetadataId' | 'withFilterFields', opts?: CallOptions): Promise<unknown>;
  getPermissions(id: string, opts?: CallOptions): Promise<Permissions>;
  /** Merges enum values into the dataset's schema. A write: never sent twice. */
  addEnumValues(id: string, values: Record<string, { type: 'enum'; values: string[]; nullable?: boolean }>, opts?: CallOptions): Promise<unknown>;
}

/** The Query API. */
export interface QueryOperations {
  query(doc: QueryDocument, opts?: CallOptions & { maxRecords?: number }): Promise<QueryAnswer>;
}

export interface DfiPlatform extends ImportOperations, DatasetOperations, QueryOperations {
  /** "the platform" or "the sandbox", for messages. */
  readonly label: string;
  close(): Promise<void>;
}
