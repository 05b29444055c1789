// makeS3Client({signal}): every request of the client carries the MCP call's signal. Seen from the
// server's side: a listing that never gets an answer ends its connection when the signal aborts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { listMatchingKeys, makeS3Client } from '../../src/aws/s3.js';
import { waitFor } from '../helpers/wait.js';

const seen = { requests: 0, closed: 0 };
const server = http.createServer((req, res) => {
  seen.requests++;
  res.once('close', () => seen.closed++);
  // Never answers: only the client can end this request.
});
const saved = { ...process.env };

beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_REGION: 'us-east-1' });
});
afterAll(async () => {
  process.env = saved;
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

it("an S3 listing stops when the call's signal aborts", async () => {
  const controller = new AbortController();
  const client = await makeS3Client({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, signal: controller.signal });
  try {
    const listing = listMatchingKeys(client, 'bucket', 'p/', '*.csv').then(
      () => 'listed',
      (err: Error) => err.message,
    );
    await waitFor(() => seen.requests === 1, 'the listing request');
    controller.abort();
    expect(await listing).not.toBe('listed');
    await waitFor(() => seen.closed === 1, 'the connection to close', 20_000);
    // An aborted signal refuses further requests at once.
    await expect(listMatchingKeys(client, 'bucket', 'p/', '*.csv')).rejects.toThrow();
    expect(seen.requests).toBe(1);
  } finally {
    client.destroy();
  }
});
