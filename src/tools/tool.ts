/**
 * A tool is plain data: name, description, strict input schema, output schema, honest annotations
 * and a handler that returns the structured result. `toCallResult` does the cross-cutting work once:
 * structured and text content, errors shaped as `isError` results with a hint, secrets redacted.
 */
import { z } from 'zod';
import type { ToolAnnotations, CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { Config } from '../config.js';
import type { DfiClient } from '../dfi/client.js';
import { UserFacingError, describeError } from '../errors.js';
import { log, redact, redactValue } from '../log.js';
import type { ConfirmationStore } from '../import/confirmations.js';

export interface ToolContext {
  config: Config;
  client: DfiClient;
  /** "the platform" or "the sandbox", for messages. */
  backendLabel: string;
  confirmations: ConfirmationStore;
  signal: AbortSignal;
  /**
   * Present when the client supports elicitation: asks the person a yes/no question. Resolves to
   * 'no_answer' when the client does not answer in time; never hangs.
   */
  askPerson?: (message: string) => Promise<'accept' | 'decline' | 'no_answer'>;
  /** Present when the client asked for progress notifications. */
  progress?: (progress: number, total: number | undefined, message: string) => Promise<void>;
}

export interface ToolDefinition<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  /** Left out of tools/list when this says no (e.g. abort_batch in --read-only). */
  enabled?: (config: Config) => boolean;
  handler: (args: z.infer<I>, ctx: ToolContext) => Promise<z.infer<O>>;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDefinition<I, O>): ToolDefinition<I, O> {
  return def;
}

/** `nextSteps` is part of every result. */
export const nextStepsSchema = z.array(z.string());

export async function runTool<I extends z.ZodObject, O extends z.ZodObject>(
  def: ToolDefinition<I, O>,
  args: z.infer<I>,
  ctx: ToolContext,
): Promise<CallToolResult> {
  const started = Date.now();
  try {
    const result = redactValue(await def.handler(args, ctx)) as Record<string, unknown>;
    log('debug', `${def.name}: done in ${Date.now() - started} ms`);
    return { structuredContent: result, content: [{ type: 'text', text: JSON.stringify(result, null, 2) }] };
  } catch (err) {
    log('debug', `${def.name}: failed in ${Date.now() - started} ms`);
    return errorResult(err, def.name);
  }
}

export function errorResult(err: unknown, toolName: string): CallToolResult {
  if (err instanceof UserFacingError) {
    const status = err.status !== undefined ? ` (HTTP ${err.status})` : '';
    const text = `${toolName} failed${status}: ${err.message}${err.hint ? `\nHow to fix: ${err.hint}` : ''}`;
    return { isError: true, content: [{ type: 'text', text: redact(text) }] };
  }
  // A bug, not a user error: say so plainly, log it (redacted) without leaking a stack to the client.
  log('error', `${toolName}: unexpected failure: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  return {
    isError: true,
    content: [{ type: 'text', text: redact(`${toolName} failed unexpectedly: ${describeError(err)}. This is a bug in dfi-ingest-mcp; the details are in its log (stderr).`) }],
  };
}
