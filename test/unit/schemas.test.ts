import { describe, expect, it } from 'vitest';
import { BatchRequestSchema, DatasetSchema, JobSchema, StatusListSchema, isTerminal } from '../../src/dfi/schemas.js';
import { fromWireFormat, toWireFormat } from '../../src/rules/fields.js';

// The job JSON of the user guide (its Python None written as null).
const GUIDE_JOB = {
  id: '6f6dcbb3-9746-4722-a642-6aeccdb2ad4f',
  datasetId: 'gs.dataset-1',
  format: { csv: { age: 5, ipv4: 4, entityId: 0, latitude: 3, route_id: 7, home_ipv4: 6, longitude: 2, timestamp: 1, transportation_mode: 9, credit_card_provider: 8 } },
  source: { s3: { glob: '*.csv', bucket: 'my_bucket', prefix: 'my_path', credentials: { RoleArn: 'arn:aws:iam::123456789123:role/test-import-api-role' } } },
  status: 'created',
  insertCount: 0,
  invalidCount: 0,
  log: null,
  addedAt: '2024-01-17T12:27:41.411Z',
  deletedAt: null,
};

describe('wire schemas', () => {
  it("parses the user guide's job JSON", () => {
    const job = JobSchema.parse(GUIDE_JOB);
    expect(job.id).toBe(GUIDE_JOB.id);
    expect(job.status).toBe('created');
  });

  it('keeps unknown fields of a response instead of failing on them', () => {
    const job = JobSchema.parse({ ...GUIDE_JOB, somethingNew: { a: 1 } });
    expect((job as Record<string, unknown>).somethingNew).toEqual({ a: 1 });
  });

  it('reads a job as leniently as dfipy: no id, numeric ids, epoch times, null counts, no status', () => {
    expect(JobSchema.parse({ status: 'aborted' })).toMatchObject({ status: 'aborted' });
    expect(JobSchema.parse({ status: 'aborted' }).id).toBeUndefined();
    expect(JobSchema.parse({ id: 'x' }).status).toBe('unknown');
    expect(JobSchema.parse({ id: 42, status: 'running', addedAt: 1_700_000_000, insertCount: null })).toMatchObject({ id: '42', addedAt: '2023-11-14T22:13:20.000Z', insertCount: undefined });
    expect(JobSchema.safeParse('not an object').success).toBe(false);
  });

  it('accepts a dataset with or without a metadataSchema', () => {
    expect(DatasetSchema.parse({ id: 'a' }).id).toBe('a');
    const d = DatasetSchema.parse({ id: 'b', dataDescription: { metadataSchema: { age: { type: 'number', signed: false } } } });
    expect(d.dataDescription?.metadataSchema?.age?.signed).toBe(false);
    expect(DatasetSchema.safeParse({ id: 'c', dataDescription: { metadataSchema: { age: { nullable: true } } } }).success).toBe(false);
  });

  it("validates the guide's batch request body and refuses a source that is neither s3 nor urls", () => {
    const body = { datasetId: 'gs.dataset-1', source: GUIDE_JOB.source, format: GUIDE_JOB.format };
    expect(BatchRequestSchema.parse(body)).toEqual(body);
    expect(BatchRequestSchema.safeParse({ ...body, source: { ftp: {} } }).success).toBe(false);
    expect(BatchRequestSchema.safeParse({ ...body, format: { csv: { entityId: -1 } } }).success).toBe(false);
  });

  it('parses status lists and knows terminal statuses', () => {
    expect(StatusListSchema.parse([{ status: 'finished', insertCount: 3 }])[0]!.insertCount).toBe(3);
    expect(['finished', 'error', 'aborted', 'success'].every(isTerminal)).toBe(true);
    expect(['created', 'running'].some(isTerminal)).toBe(false);
  });

  it('renames only entity_id and metadata_id on the wire, and back', () => {
    const f = { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, altitude: 0, metadata_id: 4, route_id: 7 };
    const wire = toWireFormat(f);
    expect(wire).toEqual({ entityId: 0, timestamp: 1, longitude: 2, latitude: 3, altitude: 0, metadataId: 4, route_id: 7 });
    expect(fromWireFormat(wire)).toEqual(f);
  });
});
