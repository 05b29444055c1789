// A real S3-compatible server (s3rver) on 127.0.0.1, in a child process, behind a TCP proxy that
// counts the bytes the server sends, so tests and benchmarks can assert how much of an object was
// read. Plain JavaScript: shared by the tests (through s3.ts) and by bench/run.mjs.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';

/** Environment for a process that should use the local S3-compatible server, and nothing of the host's AWS set-up. */
export function s3Env(endpoint) {
  return {
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_CONFIG_FILE: '/nonexistent/aws-config',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

export async function startS3() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dfi-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', fileURLToPath(new URL('./s3rver-child.mjs', import.meta.url)), dir], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const port = await new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += String(d);
      if (buf.includes('\n')) resolve(JSON.parse(buf.split('\n')[0]).port);
    });
    child.on('exit', (code) => reject(new Error(`s3rver exited with ${code}`)));
  });
  let bytesDown = 0;
  const sockets = new Set();
  const proxy = net.createServer((client) => {
    const upstream = net.connect(port, '127.0.0.1');
    sockets.add(client).add(upstream);
    upstream.on('data', (d) => (bytesDown += d.length));
    client.pipe(upstream).pipe(client);
    const end = () => (client.destroy(), upstream.destroy());
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const endpoint = `http://127.0.0.1:${proxy.address().port}`;
  const admin = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    region: 'us-east-1',
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
  return {
    endpoint,
    bytesDown: () => bytesDown,
    resetBytes: () => void (bytesDown = 0),
    bucket: async (name) => void (await admin.send(new CreateBucketCommand({ Bucket: name }))),
    put: async (bucket, key, body, gzip = false) => void (await admin.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzip ? gzipSync(body) : body }))),
    async close() {
      admin.destroy();
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(() => r()));
      child.stdin.end();
      await new Promise((r) => child.once('exit', r));
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}
