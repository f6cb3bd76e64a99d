import type { EntitySchema } from './entity-schema';

/**
 * The part of a schema that GLOBALS carries: the same kinds, each with only its fields marked
 * `everyone` (possibly none), or null when no field is. Cached per schema, so server and client
 * derive the same object and the same codec fingerprint.
 */
export function everyoneSchema(schema: EntitySchema): EntitySchema | null {
  if (cache.has(schema)) return cache.get(schema)!;
  const any = schema.kinds.some((k) => k.fields.some((f) => f.everyone));
  const derived = any ? { kinds: schema.kinds.map((k) => ({ name: k.name, fields: k.fields.filter((f) => f.everyone) })) } : null;
  cache.set(schema, derived);
  return derived;
}

const cache = new WeakMap<EntitySchema, EntitySchema | null>();
