import { Readable } from 'node:stream';
import {
  DEFAULT_MAX_DUMP_LINE_BYTES,
  DumpFormatError,
  MAX_DUMP_VALUE_DEPTH,
  MemoryStore,
  importStore,
  type SerializerName,
} from '../../lib/index.js';
import { readableOf } from './dump-helpers.js';

const stores: MemoryStore[] = [];
function memory(serializer: SerializerName = 'json'): MemoryStore {
  const store = new MemoryStore({ serializer, sweepInterval: 3600 });
  stores.push(store);
  return store;
}
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
});

const HEADER =
  '{"format":"nestjs-kv-store-dump","version":1,"encoding":"json","serializer":"json","exportedAt":"2026-01-01T00:00:00.000Z"}';
const line = (key: string, value: unknown, expiresAt: number | null = null): string =>
  JSON.stringify({ key, value, expiresAt });
const END = '{"end":true,"entries":0}';

/** A readable of `size` bytes of `fill` in 64 KiB chunks, made on demand (never held whole). */
function endlessLine(prefix: string, size: number, fill = 0x61): Readable {
  let sent = 0;
  const chunk = Buffer.alloc(64 * 1024, fill);
  return new Readable({
    read() {
      if (sent === 0) {
        sent += prefix.length;
        this.push(Buffer.from(prefix));
        return;
      }
      if (sent >= size) {
        this.push(null);
        return;
      }
      sent += chunk.length;
      this.push(chunk);
    },
  });
}

/** Whether `text` holds C0 or C1 control characters (which a terminal would act on). */
function hasControlCharacters(text: string): boolean {
  return [...text].some((c) => {
    const code = c.charCodeAt(0);
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
}

async function failureOf(promise: Promise<unknown>): Promise<DumpFormatError> {
  const error = await promise.then(
    (value) => new Error(`resolved with ${JSON.stringify(value)} instead of rejecting`),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DumpFormatError);
  return error as DumpFormatError;
}

describe('importStore: lines longer than the limit', () => {
  it('documents a default maximum line length of 128 MiB', () => {
    expect(DEFAULT_MAX_DUMP_LINE_BYTES).toBe(128 * 1024 * 1024);
  });

  it('rejects a line longer than maxLineBytes with a DumpFormatError naming the line, keeping the lines before it', async () => {
    const target = memory();
    const dump = `${HEADER}\n${line('a', 1)}\n${line('b', 'x'.repeat(5000))}\n${line('c', 3)}\n${END}\n`;
    const error = await failureOf(
      importStore(target, readableOf(dump, 100), { maxLineBytes: 1000 }),
    );
    expect(error.line).toBe(3);
    expect(error.message).toMatch(
      /^Dump line 3: the line is longer than 1000 bytes \(maxLineBytes\)/,
    );
    expect(await target.getMany(['a', 'b', 'c'])).toEqual([1, undefined, undefined]);
  });

  it('accepts a line of exactly maxLineBytes bytes', async () => {
    const target = memory();
    const entry = line('a', 'é'.repeat(100));
    const size = Buffer.byteLength(entry);
    const dump = `${HEADER}\n${entry}\r\n${END}\n`;
    await expect(
      importStore(target, readableOf(dump, 7), { maxLineBytes: Math.max(size, HEADER.length) }),
    ).resolves.toMatchObject({ imported: 1 });
    expect(await target.get('a')).toBe('é'.repeat(100));
  });

  it('stops reading a 600 MB line without a newline at the limit, instead of crashing', async () => {
    const target = memory();
    const input = endlessLine(`${HEADER}\n{"key":"huge","value":"`, 600 * 1024 * 1024);
    const error = await failureOf(importStore(target, input, { maxLineBytes: 1024 * 1024 }));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/longer than 1048576 bytes/);
    // Stopped near the limit: the other 599 MB were never read.
    expect(input.destroyed || input.readableLength === 0).toBe(true);
  });

  it('rejects a maxLineBytes that is not a positive integer', async () => {
    await expect(importStore(memory(), readableOf(HEADER), { maxLineBytes: 0 })).rejects.toThrow(
      /maxLineBytes must be a positive integer/,
    );
  });

  it('rejects a line that is not UTF-8 without echoing its bytes', async () => {
    const bytes = Buffer.concat([
      Buffer.from(`${HEADER}\n{"key":"a","value":"`),
      Buffer.from([0xff, 0xfe, 0x00, 0x1b, 0x5b, 0x32, 0x4a]),
      Buffer.from('"}\n'),
    ]);
    const error = await failureOf(importStore(memory(), Readable.from([bytes])));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/not UTF-8 text/);
    expect(hasControlCharacters(error.message) || error.message.includes('\ufffd')).toBe(false);
  });

  it('does not echo control characters of a line that is not valid JSON', async () => {
    const dump = `${HEADER}\n\u001b[2J\u0007{"key":\n${END}\n`;
    const error = await failureOf(importStore(memory(), readableOf(dump)));
    expect(error.line).toBe(2);
    expect(error.message).toMatch(/not valid JSON/);
    expect(hasControlCharacters(error.message)).toBe(false);
  });
});

describe('importStore: the end of a dump', () => {
  it.each([
    ['one blank line', '\n'],
    ['several blank lines', '\n\n\n'],
    ['a line of spaces and a CRLF', '   \r\n'],
  ])('accepts a valid dump followed by %s, as editors leave them', async (_what, tail) => {
    const target = memory();
    const dump = `${HEADER}\n${line('a', 1)}\n${END}\n${tail}`;
    await expect(importStore(target, readableOf(dump))).resolves.toMatchObject({ imported: 1 });
  });

  it('still rejects an entry after the end line', async () => {
    const dump = `${HEADER}\n${END}\n\n${line('a', 1)}\n`;
    const error = await failureOf(importStore(memory(), readableOf(dump)));
    expect(error.line).toBe(4);
    expect(error.message).toMatch(/after the end line/);
  });
});

describe('importStore: deeply nested values', () => {
  function nested(depth: number): string {
    return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
  }

  it.each(['json', 'rich'] as const)(
    'rejects a value nested 100,000 deep with a DumpFormatError naming the line and key (%s store)',
    async (serializer) => {
      const target = memory(serializer);
      const dump = `${HEADER}\n${line('a', 1)}\n{"key":"deep","value":${nested(100_000)},"expiresAt":null}\n${END}\n`;
      const error = await failureOf(importStore(target, readableOf(dump, 4096)));
      expect(error.line).toBe(3);
      expect(error.message).toMatch(
        new RegExp(`key "deep": the value is nested more than ${MAX_DUMP_VALUE_DEPTH} levels deep`),
      );
      expect(await target.get('a')).toBe(1);
    },
  );

  it('imports a value nested exactly to the documented depth', async () => {
    const target = memory();
    const dump = `${HEADER}\n{"key":"deep","value":${nested(MAX_DUMP_VALUE_DEPTH)},"expiresAt":null}\n${END}\n`;
    await expect(importStore(target, readableOf(dump, 4096))).resolves.toMatchObject({
      imported: 1,
    });
  });
});

describe('importStore --overwrite with a key on several lines', () => {
  const future = (): number => Date.now() + 3_600_000;

  it.each([
    ['expiring first, lasting last', [1, null], 'second'],
    ['lasting first, expiring last', [null, 1], 'second'],
  ])(
    'the last line wins (%s), and the summary counts the key once',
    async (_order, expiries, expected) => {
      const target = memory();
      const [first, second] = expiries.map((e) => (e === null ? null : future()));
      const dump = [
        HEADER,
        line('k', 'first', first ?? null),
        line('k', 'second', second ?? null),
        END,
      ].join('\n');
      const result = await importStore(target, readableOf(dump), { overwrite: true });
      expect(await target.get('k')).toBe(expected);
      expect(await target.ttl('k')).toEqual(second === null ? null : expect.any(Number));
      expect(result).toMatchObject({ imported: 1, skipped: 0 });
    },
  );

  it('the last line wins across batches too', async () => {
    const target = memory();
    const dump = [
      HEADER,
      line('k', 'first'),
      line('x', 0),
      line('k', 'second', future()),
      END,
    ].join('\n');
    await importStore(target, readableOf(dump), { overwrite: true, batchSize: 2 });
    expect(await target.get('k')).toBe('second');
    expect(await target.ttl('k')).toEqual(expect.any(Number));
  });

  it('an already expired last line leaves the key as it was before the import', async () => {
    const target = memory();
    await target.put('k', 'before');
    const dump = [HEADER, line('k', 'first'), line('k', 'stale', Date.now() - 1000), END].join(
      '\n',
    );
    const result = await importStore(target, readableOf(dump), { overwrite: true });
    expect(await target.get('k')).toBe('before');
    expect(result).toMatchObject({ imported: 0, skipped: 1 });
  });

  it('without overwrite the first line wins and the repeat is counted as skipped', async () => {
    const target = memory();
    const dump = [HEADER, line('k', 'first'), line('k', 'second', future()), END].join('\n');
    const result = await importStore(target, readableOf(dump));
    expect(await target.get('k')).toBe('first');
    expect(result).toMatchObject({ imported: 1, skipped: 1 });
  });
});
