import type { Cluster, Redis } from 'ioredis';
import type { TimedRaw } from './near-cache.js';

type Client = Redis | Cluster;
type PipelineResult = Array<[Error | null, unknown]> | null;

/**
 * GET and PTTL of one key in one round trip (a pipeline), so the near cache knows how long the
 * value may live. Not a script: Redis before 7.0 does not track keys read inside scripts. Values
 * come as bytes, as every read of the store does; a key of another Redis type fails the GET with
 * WRONGTYPE, which the store reports as it does without the near cache.
 */
export async function fetchTimed(client: Client, name: string): Promise<TimedRaw | null> {
  const pipeline = client.pipeline();
  pipeline.getBuffer(name);
  pipeline.pttl(name);
  const [value, pttl] = unwrap(await pipeline.exec(), 2);
  return timed(value, pttl);
}

/**
 * MGET and the PTTL of each key in one round trip; names of one cluster slot. A key that MGET
 * reports as empty but PTTL as existing holds another Redis type: it comes back as the store's
 * foreign-type marker (`[type]`, the type looked up on this error path only).
 */
export async function fetchTimedMany(
  client: Client,
  names: readonly string[],
): Promise<Array<TimedRaw | null>> {
  const pipeline = client.pipeline();
  pipeline.mgetBuffer(...names);
  for (const name of names) pipeline.pttl(name);
  const [values, ...pttls] = unwrap(await pipeline.exec(), names.length + 1);
  return Promise.all(
    (values as Array<Buffer | null>).map(async (value, i) => {
      const pttl = Number(pttls[i]);
      if (value === null && pttl !== -2) {
        const type = await client.type(names[i] as string);
        // The marker travels where values do, as the store's own getMany script returns it.
        if (type !== 'none' && type !== 'string') {
          return { raw: [type] as unknown as Buffer, pttlMs: pttl };
        }
      }
      return timed(value, pttl);
    }),
  );
}

function timed(value: unknown, pttl: unknown): TimedRaw | null {
  if (value === null || value === undefined) return null;
  return { raw: value as Buffer, pttlMs: Number(pttl) };
}

function unwrap(results: PipelineResult, expected: number): unknown[] {
  if (results === null || results.length !== expected) {
    throw new Error('The read pipeline was aborted');
  }
  return results.map(([error, value]) => {
    if (error) throw error;
    return value;
  });
}
