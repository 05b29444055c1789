import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema, type CallToolResult, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import { serverTransport, structured, text } from '../helpers/mcp.js';
import { ROLE_ARN } from '../helpers/paths.js';

const ARGS = {
  dataset_id: 'gs.dataset-1',
  source: { s3: { bucket: 'my_bucket', prefix: 'my_path/', glob: '*.csv', role_arn: ROLE_ARN } },
  file_format: { entity_id: 0, timestamp: 1, longitude: 2, latitude: 3, route_id: 7, transportation_mode: 9 },
};

let client: Client | undefined;
afterEach(async () => {
  await client?.close();
});

/** A client that supports elicitation and answers with `answer` (or never, when it returns a pending promise). */
async function connect(answer: (message: string) => Promise<ElicitResult>) {
  const transport = serverTransport(['--sandbox', '--elicitation-timeout-ms', '1500']);
  client = new Client({ name: 'eliciting-client', version: '1.0.0' }, { capabilities: { elicitation: {} } });
  const asked: string[] = [];
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params.message);
    return answer(req.params.message);
  });
  await client.connect(transport);
  const call = async (args: Record<string, unknown>) => (await client!.callTool({ name: 'put_batch', arguments: args }, undefined, { timeout: 30_000 })) as CallToolResult;
  const dry = structured(await call(ARGS));
  return { asked, importIt: () => call({ ...ARGS, dry_run: false, confirmation: dry.confirmation.token }) };
}

describe('put_batch asks the person where the client can', () => {
  it('imports after the person accepts, with a one-line summary of what will happen', async () => {
    const { asked, importIt } = await connect(async () => ({ action: 'accept', content: { confirm: true } }));
    const r = structured(await importIt());
    expect(r.job.status).toBe('created');
    expect(asked).toHaveLength(1);
    expect(asked[0]).toMatch(/^Import into gs.dataset-1 from s3:\/\/my_bucket\/my_path\/ \(\*\.csv\) as arn:aws:iam::123456789123:role\/my_role, columns 0=entity_id, 1=timestamp/);
    expect(asked[0]).toMatch(/dry run: \d+ would be inserted and \d+ rejected, of \d+ rows checked/);
    expect(asked[0]!.split('\n')).toHaveLength(1);
  });

  it('treats a decline as a clean outcome: no error, nothing sent, the confirmation still valid', async () => {
    let accept = false;
    const { importIt } = await connect(async () => (accept ? { action: 'accept', content: { confirm: true } } : { action: 'decline' }));
    const r = await importIt();
    expect(r.isError).toBeFalsy();
    const s = structured(r);
    expect(s.declined).toBe(true);
    expect(s.job).toBeUndefined();
    expect(s.nextSteps[0]).toMatch(/declined the import; nothing was sent/);
    accept = true;
    expect(structured(await importIt()).job.status).toBe('created');
  });

  it('does not hang when the client never answers', async () => {
    const { importIt } = await connect(() => new Promise<ElicitResult>(() => undefined));
    const r = await importIt(); // bounded by the call's timeout: a hang fails the test
    expect(structured(r).declined).toBe(true);
    expect(text(r)).toMatch(/did not answer the confirmation request/);
  });

  it('never proceeds on elicitation alone: without a dry run the import is refused before asking', async () => {
    const { asked } = await connect(async () => ({ action: 'accept', content: { confirm: true } }));
    const r = (await client!.callTool({ name: 'put_batch', arguments: { ...ARGS, dry_run: false } })) as CallToolResult;
    expect(r.isError).toBe(true);
    expect(text(r)).toMatch(/needs the confirmation token of a successful dry run/);
    expect(asked).toHaveLength(0);
  });
});
