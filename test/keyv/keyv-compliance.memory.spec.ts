import { MemoryStore } from '../../lib/index.js';
import { runKeyvCompliance } from './keyv-suite-runner.js';

// One store shared by the suite's adapters, as one application's cache would be.
const shared = new MemoryStore();
runKeyvCompliance('memory', () => shared, false);
