/**
 * add_enum_values: adds values to an enum property of a dataset (POST /v1/datasets/{id}/schema/values),
 * e.g. when a dry run rejects rows for a value the enum lacks.
 *
 * It changes the dataset's schema for everyone who uses it, so it is confirmed like a real import:
 * without `confirm: true` it only says what it would add; with it, the person is asked (elicitation)
 * where the client supports it. It is absent in --read-only, and never sent twice.
 */
import { z } from 'zod';
import { UserFacingError, invalidInput } from '../errors.js';
import { MetadataSchemaSchema } from '../dfi/schemas.js';
import { defineTool, nextStepsSchema } from './tool.js';

export const addEnumValues = defineTool({
  name: 'add_enum_values',
  title: "Add values to a dataset's enum property",
  description:
    "Adds values to a dataset's enum property, for everyone using it. Without confirm true it only shows the change; with it, asks the person and writes. Example: {\"dataset_id\": \"gs.dataset-1\", \"property\": \"transportation_mode\", \"values\": [\"scooter\"], \"confirm\": true}",
  input: z
    .object({
      dataset_id: z.string().min(1).max(200),
      property: z.string().min(1).max(200),
      values: z.array(z.string().min(1).max(200)).min(1).max(100),
      confirm: z.boolean().default(false).describe('write (once the person agreed)'),
    })
    .strict(),
  output: z.looseObject({ added: z.array(z.string()), written: z.boolean(), values: z.array(z.string()), nextSteps: nextStepsSchema }),
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: true },
  enabled: (config) => !config.readOnly,
  async handler(args, ctx) {
    const dataset = await ctx.client.getDataset(args.dataset_id, { signal: ctx.signal });
    const schema = dataset.dataDescription?.metadataSchema ?? {};
    const prop = Object.hasOwn(schema, args.property) ? schema[args.property] : undefined;
    if (!prop) {
      const enums = Object.entries(schema).filter(([, p]) => p.type === 'enum').map(([k]) => k);
      throw invalidInput(
        `dataset ${args.dataset_id} has no property "${args.property}".`,
        enums.length ? `Its enum properties are: ${enums.join(', ')}.` : 'It has no enum property; get_dataset shows its schema.',
      );
    }
    if (prop.type !== 'enum') throw invalidInput(`"${args.property}" is a ${prop.type} property, not an enum: it has no list of values.`, 'Only enum properties take new values.');
    const current = prop.values ?? [];
    const wanted = [...new Set(args.values)];
    const added = wanted.filter((v) => !current.includes(v));
    const alreadyThere = wanted.filter((v) => current.includes(v));
    const base = { dataset_id: args.dataset_id, property: args.property, added, alreadyThere };
    if (added.length === 0) {
      return { ...base, written: false, values: current, nextSteps: ['Every value is already in the enum: nothing to add. Run the put_batch dry run again.'] };
    }
    const change = `add ${added.map((v) => JSON.stringify(v)).join(', ')} to "${args.property}" of dataset ${args.dataset_id} (now ${current.length} value(s))`;
    if (!args.confirm) {
      return {
        ...base,
        written: false,
        values: current,
        nextSteps: [
          `Nothing written yet. This would ${change}; it changes the dataset's schema for everyone who uses it. Ask the person; if they agree, call add_enum_values again with the same arguments and confirm: true.`,
        ],
      };
    }
    if (ctx.askPerson) {
      const answer = await ctx.askPerson(`Change the schema of dataset ${args.dataset_id}: ${change}? Everyone who uses the dataset sees the new values.`, {
        title: 'Change the schema',
        description: "Yes: add the values to the dataset's enum.",
      });
      if (answer !== 'accept') {
        throw new UserFacingError('not_confirmed', `the schema was not changed: ${answer === 'decline' ? 'the person declined' : 'the person did not answer in time'}.`, {
          hint: answer === 'decline' ? 'Do not retry unless the person asks for it.' : 'Ask the person in the chat, then call add_enum_values again with confirm: true.',
        });
      }
    }
    const body = { [args.property]: { type: 'enum' as const, values: added, nullable: prop.nullable !== false } };
    let answer: unknown;
    try {
      answer = await ctx.client.addEnumValues(args.dataset_id, body, { signal: ctx.signal });
    } catch (err) {
      if (err instanceof UserFacingError && (err.kind === 'network_error' || (err.status ?? 0) >= 500)) {
        throw new UserFacingError(err.kind, `${err.message} Whether the values were added is unknown; the request was sent once.`, {
          ...(err.status !== undefined ? { status: err.status } : {}),
          hint: 'Read the dataset with get_dataset: if the values are there, nothing more is needed; adding them again is harmless (values already there are skipped).',
        });
      }
      throw err;
    }
    // The answer is the updated metadata schema; a dataset document is accepted too.
    const parsed = MetadataSchemaSchema.safeParse((answer as { dataDescription?: { metadataSchema?: unknown } })?.dataDescription?.metadataSchema ?? answer);
    const after = parsed.success ? parsed.data[args.property]?.values : undefined;
    return {
      ...base,
      written: true,
      values: after ?? [...current, ...added],
      nextSteps: [`Added. Run the put_batch dry run again: rows with ${added.map((v) => JSON.stringify(v)).join(', ')} are now valid.`],
    };
  },
});
