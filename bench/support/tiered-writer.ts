import { tieredSubject } from './tiered-subjects.js';

// The writing instance of the tiered invalidation case, forked with an IPC channel. argv: subject
// name, port, key prefix. On { key, value } it puts the value and answers { ackAt }:
// process.hrtime.bigint() (a machine-wide monotonic clock on Linux, so the reader can compare it
// with its own) once the put resolved.
const [name = 'kv-store', port = '0', prefix = 'bench-tiered-inv:'] = process.argv.slice(2);
const subject = await tieredSubject(name, {
  port: Number(port),
  prefix,
  timeout: 2,
  maxEntries: 100,
});
process.on('message', (message: { key: string; value: number } | 'stop') => {
  if (message === 'stop') {
    void subject.close().then(() => process.disconnect());
    return;
  }
  void subject.put(message.key, message.value).then(() => {
    process.send?.({ ackAt: String(process.hrtime.bigint()) });
  });
});
process.send?.({ ready: true });
