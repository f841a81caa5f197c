/**
 * Whether `value` nests arrays, objects, Maps or Sets more than `maxDepth` levels deep. Walks
 * with an explicit stack (never recursion, which is what the check protects against) and stops
 * as soon as the answer is known; a value seen twice (a shared or circular reference) is walked
 * once.
 */
export function nestsDeeperThan(value: unknown, maxDepth: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  const seen = new Set<object>();
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [current, depth] = item;
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    // Bytes hold no nested values; walking a large Buffer element by element would be slow.
    if (ArrayBuffer.isView(current) || current instanceof ArrayBuffer) continue;
    if (depth >= maxDepth) return true;
    seen.add(current);
    for (const child of childrenOf(current)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

/** The values inside a container; by tag, not instanceof: node:v8 decodes into another realm. */
function childrenOf(container: object): Iterable<unknown> {
  switch (Object.prototype.toString.call(container)) {
    case '[object Map]':
      return [...(container as Map<unknown, unknown>).entries()].flat();
    case '[object Set]':
      return (container as Set<unknown>).values();
    default:
      return Object.values(container);
  }
}
