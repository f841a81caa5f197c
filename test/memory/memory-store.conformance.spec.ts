import { MemoryStore } from '../../lib/index.js';
import { runKvStoreConformance } from '../conformance/kv-store.conformance.js';

runKvStoreConformance('memory', (options) => new MemoryStore(options));
