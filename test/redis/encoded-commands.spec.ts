import { Command } from 'ioredis';
import { encodeCommand, type RespArg } from '../../lib/redis/scripts/encoded-commands.js';

/** The bytes ioredis itself would write for the command. */
function ioredisBytes(name: string, args: RespArg[]): Buffer {
  const command = new Command(name, args);
  const writable = command.toWritable({});
  return Buffer.isBuffer(writable) ? writable : Buffer.from(writable);
}

function bytesOf(encoded: string | Buffer): Buffer {
  return Buffer.isBuffer(encoded) ? encoded : Buffer.from(encoded);
}

describe('commands the Redis store encodes itself', () => {
  it('are the bytes ioredis would send: text, non-ASCII text, numbers, empty strings and binary keys', () => {
    const index = Buffer.concat([
      Buffer.from('prefix:'),
      Buffer.from([0xff]),
      Buffer.from('kv-index'),
    ]);
    const cases: Array<[string, RespArg[]]> = [
      ['MULTI', []],
      ['MSET', ['k:1', '{"a":1}', 'k:é', 'ünïcödé ✓ 😀', 'k:empty', '']],
      ['SET', ['k:ttl', 'v', 'PX', 1500]],
      ['ZADD', [index, 0, 'k:1', 0, 'k:é', 0, 'k:😀']],
      ['EVALSHA', ['f'.repeat(40), 2, 'k:1', index, 'k:1', Buffer.from([0, 1, 0xfe]), 0]],
    ];
    for (const [name, args] of cases) {
      expect(bytesOf(encodeCommand(name, args))).toEqual(ioredisBytes(name, args));
    }
  });

  it('a batch whose text would pass the longest JavaScript string is sent in pieces, byte for byte', () => {
    // Two values of 9M characters each (one with multi-byte characters) pass the 16M-character
    // piece size, as 512 values of 1 MB would.
    const big = 'x'.repeat(9_000_000);
    const wide = 'é'.repeat(9_000_000);
    const args: RespArg[] = ['k:1', big, 'k:2', wide, 'k:3', 'small'];
    const encoded = encodeCommand('MSET', args);
    expect(Buffer.isBuffer(encoded)).toBe(true);
    expect(bytesOf(encoded).equals(ioredisBytes('MSET', args))).toBe(true);
  });
});
