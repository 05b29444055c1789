// Typed access to the shared s3rver helper (test/helpers/s3-server.mjs).
// @ts-expect-error plain ESM helper shared with the benchmark
import * as impl from './s3-server.mjs';

export interface S3Server {
  endpoint: string;
  bytesDown(): number;
  resetBytes(): void;
  bucket(name: string): Promise<void>;
  put(bucket: string, key: string, body: string | Buffer, gzip?: boolean): Promise<void>;
  close(): Promise<void>;
}

export const s3Env: (endpoint: string) => Record<string, string> = impl.s3Env;
export const startS3: () => Promise<S3Server> = impl.startS3;
