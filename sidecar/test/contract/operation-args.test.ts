/**
 * The operations' arguments are declared once, as JSON Schema in the contract (`operation_args`), which PHP enforces
 * with core's rest_validate_value_from_schema(). The sidecar's zod schemas of the same operations (protocol/messages.ts)
 * are checked against them here, so the two cannot drift: every argument zod knows is in the contract with the same
 * type, and what the contract requires zod requires too.
 */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

import { contract, opArgBound, publishBounds } from '../../src/contract/contract.ts';
import { Operation } from '../../src/protocol/messages.ts';

interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
}

const types = (schema: JsonSchema): string[] => {
  if (schema.anyOf !== undefined) {
    return schema.anyOf.flatMap(types);
  }
  const declared = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
  // JSON Schema's integer is a number; PHP decodes a JSON number without a fraction as an integer.
  return declared.map((type) => (type === 'integer' ? 'number' : type));
};

describe('operation arguments: the contract schema and the sidecar agree', () => {
  const args = contract.operation_args as Record<string, JsonSchema>;

  it('every contract operation has an argument schema, and nothing else does', () => {
    const ops = [...new Set([...contract.operations.proxy, ...contract.operations.internal])].sort();
    expect(Object.keys(args).filter((key) => !key.startsWith('$')).sort()).toEqual(ops);
    for (const op of ops) {
      expect(args[op]?.type, op).toBe('object');
    }
  });

  it.each(Operation.options.map((option) => [option.shape.op.value, option] as const))('%s: zod and the contract schema agree', (op, option) => {
    const zod = z.toJSONSchema(option, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    const contractSchema = args[op] as JsonSchema;
    const contractProps = contractSchema.properties ?? {};
    for (const [name, schema] of Object.entries(zod.properties ?? {})) {
      if (name === 'op') {
        continue;
      }
      expect(Object.keys(contractProps), `${op}.${name} is not in the contract`).toContain(name);
      const zodTypes = types(schema);
      if (zodTypes.length > 0) {
        const allowed = types(contractProps[name] as JsonSchema);
        expect(zodTypes.filter((type) => type !== 'null' && !allowed.includes(type)), `${op}.${name}`).toEqual([]);
      }
    }
    const zodRequired = new Set(zod.required ?? []);
    const looseInZod = zod.additionalProperties !== false;
    for (const name of contractSchema.required ?? []) {
      if (!looseInZod || zod.properties?.[name] !== undefined) {
        expect(zodRequired.has(name), `${op}.${name} is required by the contract`).toBe(true);
      }
    }
  });

  it('the publish bounds the sidecar checks are the contract schema numbers', () => {
    expect(publishBounds.title).toBe(opArgBound('upsert_post', 'post.post_title', 'maxLength'));
    expect(publishBounds).toEqual({ title: 1000, authorEmail: 254, termsPerTaxonomy: 50, termName: 200, imageUrl: 2048, imageText: 2000 });
    expect(() => opArgBound('upsert_post', 'post.no_such_field', 'maxLength')).toThrow(/no maxLength/);
  });
});
