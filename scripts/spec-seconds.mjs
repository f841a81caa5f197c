// Rewrites test/support/spec-seconds.json, the durations the test sequencer uses when Jest's cache
// has none (a clean clone): every spec of at least MIN_SECONDS in a Jest `--json` results file.
//
//   npm test -- --json --outputFile=.tmp/jest-results.json && node scripts/spec-seconds.mjs .tmp/jest-results.json
import { readFileSync, writeFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';

const MIN_SECONDS = 3;
const root = resolve(import.meta.dirname, '..');
const file = process.argv[2];
if (!file) {
  console.error('usage: node scripts/spec-seconds.mjs <jest --json results file>');
  process.exit(2);
}
const results = JSON.parse(readFileSync(file, 'utf8'));
const seconds = Object.fromEntries(
  results.testResults
    .map((r) => [relative(root, r.name), Math.round((r.endTime - r.startTime) / 100) / 10])
    .filter(([, s]) => s >= MIN_SECONDS)
    .sort((a, b) => b[1] - a[1]),
);
writeFileSync(
  resolve(root, 'test/support/spec-seconds.json'),
  `${JSON.stringify(seconds, null, 2)}\n`,
);
console.log(`${Object.keys(seconds).length} specs of ${MIN_SECONDS} s or more recorded`);
