import { tieredSubject, type TieredSubject } from './tiered-subjects.js';

// One instance of the cold-key case, forked with an IPC channel. argv: comma-separated subjects,
// port, prefix per subject (the prefix plus the subject's index, the same in every instance). On
// { subject, key, callers, loaderMs } it makes `callers` concurrent cache-aside calls for `key`
// whose loader takes `loaderMs`, and answers { runs, ms }: how many times the loader ran in this
// instance and how long until every caller had the value.
const [list = 'kv-store', port = '0', prefix = 'bench-tiered-cold:'] = process.argv.slice(2);
const subjects = new Map<string, TieredSubject>();
for (const [n, name] of list.split(',').entries()) {
  subjects.set(
    name,
    await tieredSubject(name, {
      port: Number(port),
      prefix: `${prefix}${n}:`,
      timeout: 2,
      maxEntries: 100,
    }),
  );
}

interface Go {
  subject: string;
  key: string;
  callers: number;
  loaderMs: number;
}

process.on('message', (message: Go | 'stop') => {
  if (message === 'stop') {
    void Promise.all([...subjects.values()].map((s) => s.close())).then(() => process.disconnect());
    return;
  }
  const subject = subjects.get(message.subject) as TieredSubject;
  const getOrSet = subject.getOrSet as NonNullable<TieredSubject['getOrSet']>;
  let runs = 0;
  const loader = async (): Promise<unknown> => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, message.loaderMs));
    return { key: message.key, loadedAt: Date.now() };
  };
  const started = process.hrtime.bigint();
  void Promise.all(
    Array.from({ length: message.callers }, () => getOrSet(message.key, loader)),
  ).then((values) => {
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const answered = values.every((v) => (v as { key?: string } | undefined)?.key === message.key);
    process.send?.({ runs, ms, answered });
  });
});
process.send?.({ ready: true });
