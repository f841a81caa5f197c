// Preloaded (node --import) into a CLI process by cli-faults.spec.ts: writes the process' peak
// resident set size, in bytes, to the file named by PEAK_RSS_FILE when it exits.
import { writeFileSync } from 'node:fs';

process.on('exit', () => {
  const file = process.env.PEAK_RSS_FILE;
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS * 1024));
});
