#!/usr/bin/env node
// Part of npm run build: computes the tools/list payload once (default configuration, every tool)
// into dist/tools-list.json, with a fingerprint of what it was computed from, so that the server can
// answer a client's first tools/list without converting every zod schema (see serveToolList in
// server.ts). The server computes the same payload with the same function when the file is stale.
import fs from 'node:fs';
import { parseCommand } from '../dist/config.js';
import { listedTools, PREBUILT_TOOL_LIST, TOOLS, toolListFingerprint } from '../dist/server.js';

const { config } = parseCommand(['--sandbox'], {});
fs.writeFileSync(PREBUILT_TOOL_LIST, JSON.stringify({ fingerprint: toolListFingerprint(), tools: listedTools(TOOLS, config) }));
