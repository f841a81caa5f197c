import { ScriptedWrites, describeWrite } from '../../lib/redis/scripts/encoded-commands.js';

// Which script calls in flight may still be sent again after NOSCRIPT (see ScriptedWrites in encoded-commands.ts);
// test/redis/script-flush-order.spec.ts checks the same against a real server.
describe('script calls that write, in flight', () => {
  it('a later write of a key overtakes the call in flight on it, and only that one', () => {
    const writes = new ScriptedWrites();
    const put = writes.begin('put', ['a']);
    const other = writes.begin('put', ['b']);
    writes.overtake(['a', 'c']);
    expect(put.overtaken).toBe(true);
    expect(other.overtaken).toBe(false);
  });

  it('a later script call of a key overtakes the earlier one', () => {
    const writes = new ScriptedWrites();
    const first = writes.begin('put', ['a']);
    const second = writes.begin('delete', ['a']);
    expect([first.overtaken, second.overtaken]).toEqual([true, false]);
  });

  it('a call that settled is no longer overtaken by later writes', () => {
    const writes = new ScriptedWrites();
    const done = writes.begin('put', ['a']);
    writes.end(done);
    expect(writes.busy).toBe(false);
    writes.overtake(['a']);
    expect(done.overtaken).toBe(false);
  });

  it('ending an overtaken call leaves the later call on the key tracked', () => {
    const writes = new ScriptedWrites();
    const first = writes.begin('put', ['a']);
    const second = writes.begin('put', ['a']);
    writes.end(first);
    writes.overtake(['a']);
    expect(second.overtaken).toBe(true);
  });

  it('a clear overtakes every call in flight, and any later write overtakes the clear', () => {
    const writes = new ScriptedWrites();
    const put = writes.begin('put', ['a']);
    const clear = writes.beginEverywhere('clear');
    expect(put.overtaken).toBe(true);
    expect(clear.overtaken).toBe(false);
    writes.overtake(['z']);
    expect(clear.overtaken).toBe(true);
    expect(writes.busy).toBe(false);
  });

  it('names the write in its error message', () => {
    const writes = new ScriptedWrites();
    expect(describeWrite(writes.begin('put', ['a"b']))).toBe('the put of key "a\\"b"');
    expect(describeWrite(writes.begin('deleteMany', ['x', 'y']))).toBe('the deleteMany of 2 keys');
    expect(describeWrite(writes.beginEverywhere('clear'))).toBe('the clear');
  });
});
