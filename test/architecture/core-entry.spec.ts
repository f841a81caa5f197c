import * as core from '../../lib/core-entry.js';
import * as main from '../../lib/index.js';
import * as nest from '../../lib/nest/index.js';

/**
 * `nestjs-kv-store/core` (lib/core-entry.ts) is the main entry without the Nest layer. Both
 * list their exports by hand, so a new export added to lib/index.ts that does not need Nest must
 * be added to lib/core-entry.ts too; this says which one is missing.
 */
describe('the nestjs-kv-store/core entry', () => {
  it('exports everything the main entry does, except the Nest layer', () => {
    const missing = Object.keys(main).filter((name) => !(name in core) && !(name in nest));
    expect(missing).toEqual([]);
  });

  it('exports nothing of the Nest layer, and nothing the main entry lacks', () => {
    expect(Object.keys(core).filter((name) => name in nest)).toEqual([]);
    expect(Object.keys(core).filter((name) => !(name in main))).toEqual([]);
  });

  it('exports the very same objects as the main entry', () => {
    const different = Object.keys(core).filter(
      (name) => (core as Record<string, unknown>)[name] !== (main as Record<string, unknown>)[name],
    );
    expect(different).toEqual([]);
  });
});
