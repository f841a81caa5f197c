import { runSampleAppE2e } from './sample-app.e2e.js';

runSampleAppE2e('memory', () => ({ KV_STORE_TYPE: 'memory' }));
