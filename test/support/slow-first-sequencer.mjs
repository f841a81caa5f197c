import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Sequencer from '@jest/test-sequencer';

/**
 * Jest's order, longest spec first, also on a clean clone. Jest learns each spec's duration in
 * its cache, which a fresh checkout does not have: it then orders by file size, and a 30 s fault
 * spec that happens to be short in bytes starts last and runs alone while the other worker idles.
 * Here a spec Jest has no time for takes the one recorded in `spec-seconds.json` (the slow ones
 * only; `node scripts/spec-seconds.mjs` rewrites it from a `--json` run), and specs failed last
 * time still go first.
 */
const RECORDED = JSON.parse(readFileSync(join(import.meta.dirname, 'spec-seconds.json'), 'utf8'));

export default class SlowFirstSequencer extends Sequencer {
  sort(tests) {
    const root = (test) => test.context.config.rootDir;
    const seconds = (test) => {
      const cached = this.time(test);
      if (cached != null) return cached / 1000;
      return RECORDED[relative(root(test), test.path)] ?? 0;
    };
    const size = (test) => test.context.hasteFS.getSize(test.path) ?? 0;
    const keyed = tests.map((test) => ({
      test,
      failed: this.hasFailed(test),
      seconds: seconds(test),
      size: size(test),
    }));
    keyed.sort(
      (a, b) => Number(b.failed) - Number(a.failed) || b.seconds - a.seconds || b.size - a.size,
    );
    return keyed.map((k) => k.test);
  }
}
