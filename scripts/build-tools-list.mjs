#!/usr/bin/env node
// Part of npm run build: computes the tools/list payload once (every tool enabled) into
// dist/tools-list.json, with a fingerprint of what it was computed from, so that the server can
// answer a client's first tools/list without converting 14 schemas (see server.ts).
import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { parseCommand } from '../dist/config.js';
import { DfiClient } from '../dist/dfi/client.js';
import { buildServer, PREBUILT_TOOL_LIST, toolListFingerprint } from '../dist/server.js';

process.env.DFI_NO_PREBUILT_TOOLS_LIST = '1';
const { config } = parseCommand(['--sandbox'], {});
const server = buildServer({ config, client: new DfiClient({ baseUrl: 'http://127.0.0.1:9', token: 'unused-for-listing' }) });
const [a, b] = InMemoryTransport.createLinkedPair();
await server.connect(a);
const client = new Client({ name: 'build', version: '1' });
await client.connect(b);
const { tools } = await client.listTools();
fs.writeFileSync(PREBUILT_TOOL_LIST, JSON.stringify({ fingerprint: toolListFingerprint(), tools }));
await client.close();
await server.close();
