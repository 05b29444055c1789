// prepare_files' part uploader (src/prepare/stores.ts uploadInParts) against s3rver: objects of
// several 5 MiB parts arrive whole with their metadata, whatever the part buffers; an aborted
// write leaves no object.
import { Readable } from 'node:stream';
import { GetObjectCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Env, startS3, type S3Server } from '../helpers/s3.js';
import { makeS3Client } from '../../src/aws/s3.js';
import { s3Target, PART_BYTES } from '../../src/prepare/stores.js';

let s3: S3Server;
let admin: S3Client;
const saved: Record<string, string | undefined> = {};

/** `bytes` of text in 200 KiB chunks, each line numbered (so a lost or doubled part shows). */
function text(bytes: number): Buffer {
  let s = '';
  for (let i = 0; s.length < bytes; i++) s += `${i},row ${i}\n`;
  return Buffer.from(s.slice(0, bytes));
}
const chunks = (b: Buffer) => Readable.from((function* () {
  for (let i = 0; i < b.length; i += 200 * 1024) yield b.subarray(i, i + 200 * 1024);
})());
const meta = { sourceKey: 'raw/a b.csv.gz', sourceEtag: '"abc"', recipeHash: 'r1' };

beforeAll(async () => {
  s3 = await startS3();
  await s3.bucket('parts');
  // s3rver's credentials for this process's S3 clients (never ~/.aws).
  for (const [k, v] of Object.entries(s3Env(s3.endpoint))) saved[k] = process.env[k], (process.env[k] = v);
  admin = new S3Client({ endpoint: s3.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
}, 60_000);
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) if (v === undefined) delete process.env[k];
  else process.env[k] = v;
  admin?.destroy();
  await s3?.close();
});

describe('uploadInParts', () => {
  for (const buffers of [1, 3]) {
    it(`writes ${buffers === 1 ? 'with one reused part buffer' : 'with parts in flight'}: 12.5 MiB in three parts, and 1 KiB in one PutObject`, async () => {
      const target = await s3Target(await makeS3Client({ endpoint: s3.endpoint }), 'parts', 'out/');
      const big = text(Math.floor(PART_BYTES * 2.5));
      await target.write(`out/big-${buffers}.csv`, chunks(big), meta, undefined, buffers);
      const got = await admin.send(new GetObjectCommand({ Bucket: 'parts', Key: `out/big-${buffers}.csv` }));
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(big)).toBe(true);
      expect(await target.head(`out/big-${buffers}.csv`)).toEqual(meta);
      const small = text(1024);
      await target.write(`out/small-${buffers}.csv`, chunks(small), meta, undefined, buffers);
      expect((await admin.send(new HeadObjectCommand({ Bucket: 'parts', Key: `out/small-${buffers}.csv` }))).ContentLength).toBe(1024);
      target.close();
    });
  }

  it('an aborted write fails and leaves no object (s3rver lists no multipart uploads: the abort itself is not observable here)', async () => {
    const target = await s3Target(await makeS3Client({ endpoint: s3.endpoint }), 'parts', 'out/');
    const abort = new AbortController();
    let sent = 0;
    const body = Readable.from((function* () {
      const b = text(PART_BYTES * 3);
      for (let i = 0; i < b.length; i += 200 * 1024) {
        sent += 200 * 1024;
        if (sent > PART_BYTES * 1.5) abort.abort();
        yield b.subarray(i, i + 200 * 1024);
      }
    })());
    await expect(target.write('out/aborted.csv', body, meta, abort.signal, 3)).rejects.toThrow();
    expect(await target.head('out/aborted.csv')).toBeNull();
    target.close();
  });
});
