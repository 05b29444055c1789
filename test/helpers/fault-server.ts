import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  /** When the request arrived (Date.now()). */
  at: number;
  userAgent: string | undefined;
  /** Set when the client closed the connection before an answer was sent. */
  abandoned: boolean;
}

export type Fault =
  | { kind: 'json'; status: number; body: unknown; headers?: Record<string, string> }
  | { kind: 'raw'; status: number; body: string; contentType: string; headers?: Record<string, string> }
  | { kind: 'reset' } // read the request, then destroy the socket without an answer
  | { kind: 'stall' } // read the request, never answer
  | { kind: 'echo-auth'; status: number }; // an error body that echoes the Authorization header

const DATASET = {
  id: 'gs.dataset-1',
  dataDescription: { metadataSchema: { route_id: { type: 'number', nullable: false, signed: false } } },
};
const JOB = (status: string) => ({ id: 'job-1', datasetId: 'gs.dataset-1', status, insertCount: 5, invalidCount: 0, log: null });

/** The healthy answer to every call, when the plan says nothing. */
function healthy(req: SeenRequest): Fault {
  if (req.path === '/v1/datasets/gs.dataset-1') return { kind: 'json', status: 200, body: DATASET };
  if (req.path.endsWith('/permissions/me')) return { kind: 'json', status: 200, body: { write: true } };
  if (req.path === '/v1/import/batch' && req.method === 'PUT') return { kind: 'json', status: 200, body: JOB(req.query.get('dryRun') === 'false' ? 'created' : 'success') };
  if (req.path === '/v1/import/awsTrustPolicy') return { kind: 'json', status: 200, body: { Version: '2012-10-17', Statement: [] } };
  return { kind: 'json', status: 404, body: { message: 'not found' } };
}

/**
 * A fault-injecting stand-in for the platform API on 127.0.0.1. `plan` decides each answer from the
 * request and how many requests of the same method and path came before; undefined means healthy.
 */
export async function startFaultServer(plan: (req: SeenRequest, n: number) => Fault | undefined) {
  const seen: SeenRequest[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const r: SeenRequest = { method: req.method ?? 'GET', path: url.pathname, query: url.searchParams, authorization: req.headers.authorization, at: Date.now(), userAgent: req.headers['user-agent'], abandoned: false };
    res.on('close', () => void (res.writableFinished || (r.abandoned = true)));
    const n = seen.filter((s) => s.method === r.method && s.path === r.path).length;
    seen.push(r);
    req.resume();
    req.on('end', () => {
      const f = plan(r, n) ?? healthy(r);
      switch (f.kind) {
        case 'reset':
          req.socket.destroy();
          return;
        case 'stall':
          return;
        case 'echo-auth':
          res.writeHead(f.status, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `bad request; you sent Authorization: ${req.headers.authorization}` }));
          return;
        case 'raw':
          res.writeHead(f.status, { 'content-type': f.contentType, ...f.headers });
          res.end(f.body);
          return;
        case 'json':
          res.writeHead(f.status, { 'content-type': 'application/json', ...f.headers });
          res.end(JSON.stringify(f.body));
      }
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    count: (method: string, path: string, pred: (r: SeenRequest) => boolean = () => true) => seen.filter((s) => s.method === method && s.path === path && pred(s)).length,
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
