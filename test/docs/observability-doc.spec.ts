import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ATTR, METRIC } from '../../lib/telemetry/attribute-names.js';
import { CONTRACT_OPERATIONS } from '../telemetry/store-telemetry.cases.js';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const doc = readFileSync(resolve(repo, 'docs/observability.md'), 'utf8');

describe('docs/observability.md', () => {
  it('shows the SDK set-up the sample app runs, word for word', () => {
    const source = readFileSync(resolve(repo, 'sample-app/src/telemetry/otel-sdk.ts'), 'utf8');
    const tested = /\/\/ docs:otel-sdk:start\n([\s\S]*?)\/\/ docs:otel-sdk:end/.exec(source)?.[1];
    expect(tested).toBeDefined();
    expect(doc).toContain(`\`\`\`ts otel-sdk.ts\n${tested}\`\`\``);
  });

  it('documents every metric, every attribute and the span of every contract operation', () => {
    for (const name of [...Object.values(METRIC), ...Object.values(ATTR)]) {
      expect(doc).toContain(`\`${name}\``);
    }
    for (const operation of CONTRACT_OPERATIONS) expect(doc).toContain(`\`kv.${operation}\``);
  });

  it('shows the dashboard screenshot it links', () => {
    expect(doc).toContain('](images/dashboard.jpg)');
    // A JPEG (SOI marker FF D8 FF), as test/sample-app/dashboard.browser.spec.ts saves it.
    const image = readFileSync(resolve(repo, 'docs/images/dashboard.jpg'));
    expect([...image.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
  });
});
