import { Readable, Writable } from 'node:stream';
import { types } from 'node:util';
import {
  DumpFormatError,
  KvStoreError,
  MemoryStore,
  SerializationError,
  exportStore,
  importStore,
  type SerializerName,
} from '../../lib/index.js';
import { TextSink, readableOf } from './dump-helpers.js';

const stores: MemoryStore[] = [];
function memory(serializer: SerializerName = 'json'): MemoryStore {
  const store = new MemoryStore({ serializer, sweepInterval: 3600 });
  stores.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

async function dumpOf(store: MemoryStore, options = {}): Promise<TextSink> {
  const sink = new TextSink();
  await exportStore(store, sink, options);
  return sink;
}

const HEADER =
  '{"format":"nestjs-kv-store-dump","version":1,"encoding":"json","serializer":"json","exportedAt":"2026-01-01T00:00:00.000Z"}';
const line = (key: string, value: unknown, expiresAt: number | null = null): string =>
  JSON.stringify({ key, value, expiresAt });
const END = '{"end":true,"entries":0}';

describe('exportStore', () => {
  it('writes a header, one line per key in key order with absolute expiry, and a trailer', async () => {
    const store = memory();
    await store.put('b', { n: 2 });
    await store.put('a', [1, 'x', null], { ttl: 60 });
    const before = Date.now();
    const result = await exportStore(store, new TextSink());
    expect(result).toEqual({ exported: 2, skipped: 0, total: 2 });

    const lines = (await dumpOf(store))
      .lines()
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({
      format: 'nestjs-kv-store-dump',
      version: 1,
      encoding: 'json',
      serializer: 'json',
    });
    expect(lines[1]).toMatchObject({ key: 'a', value: [1, 'x', null] });
    expect(lines[1]?.expiresAt).toBeGreaterThanOrEqual(before + 59_000);
    expect(lines[1]?.expiresAt).toBeLessThanOrEqual(Date.now() + 60_000);
    expect(lines[2]).toEqual({ key: 'b', value: { n: 2 }, expiresAt: null });
    expect(lines[3]).toEqual({ end: true, entries: 2 });
  });

  it('exports a prefix or a range only, and reports no total for them', async () => {
    const store = memory();
    await store.putMany([
      ['user:1', 1],
      ['user:2', 2],
      ['order:1', 3],
      ['zeta', 4],
    ]);
    const byPrefix = new TextSink();
    expect(await exportStore(store, byPrefix, { prefix: 'user:' })).toEqual({
      exported: 2,
      skipped: 0,
    });
    expect(
      byPrefix
        .lines()
        .slice(1, -1)
        .map((l) => (JSON.parse(l) as { key: string }).key),
    ).toEqual(['user:1', 'user:2']);
    const byRange = new TextSink();
    await exportStore(store, byRange, { range: { start: 'order:', end: 'user:2' } });
    expect(
      byRange
        .lines()
        .slice(1, -1)
        .map((l) => (JSON.parse(l) as { key: string }).key),
    ).toEqual(['order:1', 'user:1']);
  });

  it('uses the v8 encoding for a rich store and refuses json for values JSON cannot hold', async () => {
    const store = memory('rich');
    await store.put('when', new Date(0));
    expect(JSON.parse((await dumpOf(store)).lines()[0] as string)).toMatchObject({
      encoding: 'v8',
      serializer: 'rich',
    });
    const error = await exportStore(store, new TextSink(), { encoding: 'json' }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SerializationError);
    expect((error as Error).message).toMatch(/"when".*a Date at \$/);
  });

  it('waits for a slow writable: only a few batches are ever ahead of it (streaming)', async () => {
    const store = memory();
    await store.putMany(
      Array.from({ length: 3000 }, (_, i) => [`k${String(i).padStart(5, '0')}`, { i }] as const),
    );
    let linesWritten = 0;
    let maxAhead = 0;
    const slow = new Writable({
      highWaterMark: 1024,
      write(chunk: Buffer, _encoding, done) {
        linesWritten += chunk.toString().split('\n').length - 1;
        setTimeout(done, 1);
      },
    });
    await exportStore(store, slow, {
      batchSize: 100,
      onProgress: ({ exported }) => {
        maxAhead = Math.max(maxAhead, exported - linesWritten);
      },
    });
    expect(linesWritten).toBe(3002);
    // Readable.from buffers two chunks and the writable one: a handful of 100-key batches at most.
    expect(maxAhead).toBeLessThanOrEqual(600);
  });
});

describe('export → import round trip', () => {
  it('keeps JSON values exactly under the json serializer', async () => {
    const source = memory('json');
    const values: Array<[string, unknown]> = [
      ['null', null],
      ['nested', { a: [1, 2.5, -3e-7, { b: 'ünïcödé ✓ \u2028' }], c: true, d: '' }],
      ['string', 'line\nbreak\ttab "quote"'],
      ['number', 12345678901234],
      ['emoji-key-😀', ['x']],
    ];
    for (const [key, value] of values) await source.put(key, value);
    const target = memory('json');
    const result = await importStore(target, readableOf((await dumpOf(source)).text, 7));
    expect(result).toEqual({ imported: values.length, skipped: 0, lines: values.length + 2 });
    for (const [key, value] of values) expect(await target.get(key)).toEqual(value);
  });

  it('keeps Dates, BigInt, Map, Set, undefined properties, -0 and NaN under the rich serializer', async () => {
    const source = memory('rich');
    const rich = {
      at: new Date('2026-11-29T12:34:56.789Z'),
      big: 123456789012345678901234567890n,
      map: new Map<unknown, unknown>([[1, new Set(['a'])]]),
      missing: undefined,
      negativeZero: -0,
      nan: Number.NaN,
      bytes: new Uint8Array([0, 255]),
    };
    await source.put('rich', rich, { ttl: 120 });
    await source.put('date', new Date(86_400_000));
    await source.put('bigint', -42n);
    await source.put('counter', 7);
    const target = memory('rich');
    await importStore(target, readableOf((await dumpOf(source)).text));
    expect(await target.get('rich')).toEqual(rich);
    const copy = await target.get<typeof rich>('rich');
    // node:v8 builds objects of the main realm, not of Jest's sandbox: no instanceof here.
    expect(types.isDate(copy?.at)).toBe(true);
    expect(Object.is(copy?.negativeZero, -0)).toBe(true);
    expect('missing' in (copy ?? {})).toBe(true);
    expect(await target.get('date')).toEqual(new Date(86_400_000));
    expect(await target.get('bigint')).toBe(-42n);
    expect(await target.increment('counter')).toBe(8);
    expect(await target.ttl('rich')).toBeGreaterThan(118);
    expect(await target.ttl('rich')).toBeLessThanOrEqual(120);
    expect(await target.ttl('date')).toBeNull();
  });

  it('imports a json dump into a rich store, and refuses rich values for a json store', async () => {
    const json = memory('json');
    await json.put('k', { a: 1 });
    const rich = memory('rich');
    await importStore(rich, readableOf((await dumpOf(json)).text));
    expect(await rich.get('k')).toEqual({ a: 1 });

    await rich.put('when', new Date(0));
    const target = memory('json');
    const error = await importStore(target, readableOf((await dumpOf(rich)).text)).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DumpFormatError);
    expect(error).toMatchObject({ line: 3, code: 'INVALID_ARGUMENT' });
    expect((error as Error).message).toMatch(
      /^Dump line 3: key "when": .*json serializer cannot hold a Date/,
    );
    expect(await target.get('k')).toEqual({ a: 1 });
  });

  it('turns remaining TTLs into absolute expiry: time spent between export and import counts', async () => {
    const source = memory('json');
    await source.put('short', 1, { ttl: 10 });
    await source.put('long', 2, { ttl: 3600 });
    const dump = (await dumpOf(source)).text;
    // Rewrite the absolute expiries as if the dump had been made 30 s ago.
    const aged = dump.replace(
      /"expiresAt":(\d+)/g,
      (_m, ms: string) => `"expiresAt":${Number(ms) - 30_000}`,
    );
    const target = memory();
    expect(await importStore(target, readableOf(aged))).toEqual({
      imported: 1,
      skipped: 1,
      lines: 4,
    });
    expect(await target.exists('short')).toBe(false);
    expect(await target.ttl('long')).toBeGreaterThan(3565);
    expect(await target.ttl('long')).toBeLessThanOrEqual(3570);
  });
});

describe('importStore: validation and resumability', () => {
  it('rejects a corrupted line naming it; lines before are imported, that line and the rest are not', async () => {
    const target = memory();
    const dump = [
      HEADER,
      line('a', 1),
      line('b', 2),
      '{"key":"c","value":3,"expiresAt":nul',
      line('d', 4),
      END,
    ].join('\n');
    const error = await importStore(target, readableOf(dump, 5), { batchSize: 1000 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(DumpFormatError);
    expect(error).toBeInstanceOf(KvStoreError);
    expect(error).toMatchObject({ line: 4, code: 'INVALID_ARGUMENT' });
    expect((error as Error).message).toMatch(/^Dump line 4: not valid JSON/);
    expect(await target.getMany(['a', 'b', 'c', 'd'])).toEqual([1, 2, undefined, undefined]);
  });

  it('is idempotent: after fixing the file, running it again completes the import', async () => {
    const target = memory();
    const broken = [HEADER, line('a', 1), '{"key":"b","value":2}', line('c', 3), END].join('\n');
    await expect(importStore(target, readableOf(broken))).rejects.toMatchObject({ line: 3 });
    const fixed = broken.replace('{"key":"b","value":2}', line('b', 2));
    expect(await importStore(target, readableOf(fixed))).toEqual({
      imported: 2,
      skipped: 1,
      lines: 5,
    });
    expect(await target.getMany(['a', 'b', 'c'])).toEqual([1, 2, 3]);
  });

  it('keeps existing keys unless overwrite is set', async () => {
    const target = memory();
    await target.put('a', 'mine');
    const dump = [HEADER, line('a', 'theirs'), line('b', 'new'), END].join('\n');
    expect(await importStore(target, readableOf(dump))).toMatchObject({ imported: 1, skipped: 1 });
    expect(await target.get('a')).toBe('mine');
    expect(await importStore(target, readableOf(dump), { overwrite: true })).toMatchObject({
      imported: 2,
      skipped: 0,
    });
    expect(await target.get('a')).toBe('theirs');
  });

  it.each([
    ['an empty dump', '', 1, /the dump is empty/],
    ['a file that is not a dump', '{"hello":1}', 1, /not a nestjs-kv-store-dump file/],
    [
      'a newer format version',
      HEADER.replace('"version":1', '"version":2'),
      1,
      /version 2 is newer than this release reads \(1\)/,
    ],
    [
      'an unknown encoding',
      HEADER.replace('"encoding":"json"', '"encoding":"yaml"'),
      1,
      /"encoding" must be one of json, v8/,
    ],
    ['a missing trailer (cut short)', [HEADER, line('a', 1)].join('\n'), 3, /cut short/],
    ['an empty line', [HEADER, '', line('a', 1), END].join('\n'), 2, /the line is empty/],
    ['an empty key', [HEADER, line('', 1), END].join('\n'), 2, /"key" must not be empty/],
    [
      'a missing value',
      [HEADER, '{"key":"a","expiresAt":null}', END].join('\n'),
      2,
      /"value" is missing/,
    ],
    [
      'an unknown field',
      [HEADER, '{"key":"a","value":1,"expiresAt":null,"ttl":5}', END].join('\n'),
      2,
      /unknown field "ttl"/,
    ],
    [
      'a bad expiry',
      [HEADER, line('a', 1, -5), END].join('\n'),
      2,
      /"expiresAt" must be null or milliseconds/,
    ],
    ['an array line', [HEADER, '[1,2]', END].join('\n'), 2, /expected a JSON object/],
    ['text after the trailer', [HEADER, END, line('a', 1)].join('\n'), 3, /after the end line/],
    [
      'bad base64 under v8',
      [HEADER.replace('"json"', '"v8"'), line('a', 'not base64!'), END].join('\n'),
      2,
      /must be base64/,
    ],
    [
      'bytes that are not v8 data',
      [HEADER.replace('"json"', '"v8"'), line('a', 'AAAA'), END].join('\n'),
      2,
      /not valid v8 structured-clone data/,
    ],
  ])('rejects %s with the line number', async (_what, dump, lineNumber, message) => {
    const target = memory();
    const error = await importStore(target, readableOf(dump)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DumpFormatError);
    expect(error).toMatchObject({ line: lineNumber });
    expect((error as Error).message).toMatch(message);
  });

  it('accepts CRLF line ends and a byte order mark', async () => {
    const target = memory();
    const dump = `\uFEFF${[HEADER, line('a', 1), END].join('\r\n')}\r\n`;
    expect(await importStore(target, readableOf(dump))).toEqual({
      imported: 1,
      skipped: 0,
      lines: 3,
    });
  });

  it('reports progress per batch and stops when its signal is aborted', async () => {
    const dump = [HEADER, ...Array.from({ length: 10 }, (_, i) => line(`k${i}`, i)), END].join(
      '\n',
    );
    const seen: number[] = [];
    await importStore(memory(), readableOf(dump), {
      batchSize: 4,
      onProgress: (p) => seen.push(p.imported),
    });
    expect(seen).toEqual([4, 8, 10]);

    const controller = new AbortController();
    const target = memory();
    const error = await importStore(target, readableOf(dump), {
      batchSize: 4,
      signal: controller.signal,
      onProgress: () => controller.abort(),
    }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('AbortError');
    expect((await target.getStats()).totalKeys).toBe(4);
  });

  it('rejects with the error of a failing stream, keeping the batches written before it', async () => {
    const target = memory();
    async function* failing(): AsyncGenerator<string> {
      yield `${HEADER}\n${line('a', 1)}\n`;
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('disk on fire');
    }
    await expect(importStore(target, Readable.from(failing()), { batchSize: 1 })).rejects.toThrow(
      'disk on fire',
    );
    expect(await target.get('a')).toBe(1);
  });

  it('rejects unknown options and a bad batch size before reading anything', async () => {
    await expect(importStore(memory(), readableOf(''), { batch: 5 } as never)).rejects.toThrow(
      /unknown option "batch"/,
    );
    await expect(importStore(memory(), readableOf(''), { batchSize: 0 })).rejects.toThrow(
      /batchSize must be a positive integer/,
    );
  });
});
