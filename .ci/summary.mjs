// Prints what a run left out (skipped tests, suites that failed to load), then the closing line
// `N passed, N failed`, which stays the last line of the CI output. Exits 1 when a suite failed
// to load, even if Jest's own exit code did not say so.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const results = JSON.parse(readFileSync(process.argv[2], 'utf8'));

const skipped = [];
const unloaded = [];
for (const suite of results.testResults) {
  const file = relative(process.cwd(), suite.name);
  for (const test of suite.assertionResults) {
    if (test.status === 'pending' || test.status === 'skipped' || test.status === 'todo') {
      skipped.push(`${file}: ${test.fullName} (${test.status})`);
    }
  }
  if (suite.assertionResults.length === 0 && (suite.status === 'failed' || suite.testExecError)) {
    const reason = (suite.testExecError?.message ?? suite.message ?? '').trim().split('\n')[0];
    unloaded.push(`${file}: ${reason}`);
  }
}

if (skipped.length > 0) {
  console.log(`Skipped tests (${skipped.length}):`);
  for (const line of skipped) console.log(`  ${line}`);
}
if (unloaded.length > 0) {
  console.log(`Suites that failed to load (${unloaded.length}):`);
  for (const line of unloaded) console.log(`  ${line}`);
}
console.log(`${results.numPassedTests} passed, ${results.numFailedTests} failed`);
process.exitCode = unloaded.length > 0 ? 1 : 0;
