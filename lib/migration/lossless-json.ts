/**
 * Says why `value` would not come back identical from `JSON.parse(JSON.stringify(value))`, or
 * `undefined` when it would. Used to refuse lossy conversions (a Date silently becoming a string)
 * when a value is written as JSON: into a json dump or into a store with the json serializer.
 */
export function jsonLossProblem(value: unknown): string | undefined {
  return problemAt(value, '$', new Set());
}

function problemAt(value: unknown, path: string, ancestors: Set<object>): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0)
        ? undefined
        : `the number ${Object.is(value, -0) ? '-0' : String(value)} at ${path}`;
    case 'object':
      return value === null ? undefined : objectProblem(value, path, ancestors);
    case 'bigint':
      return `a BigInt at ${path}`;
    default:
      return `${value === undefined ? 'undefined' : `a ${typeof value}`} at ${path}`;
  }
}

function objectProblem(value: object, path: string, ancestors: Set<object>): string | undefined {
  if (ancestors.has(value)) return `a circular reference at ${path}`;
  // Prototype chain length rather than identity: values decoded by node:v8 (or made in another
  // vm context) carry another realm's Object.prototype and Array.prototype.
  const depth = prototypeDepth(value);
  if (Array.isArray(value)) {
    if (depth !== 2) return `an array subclass at ${path}`;
  } else if (depth > 1) {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return `${typeof name === 'string' && name !== '' ? `a ${name}` : 'a class instance'} at ${path}`;
  }
  // JSON.stringify calls toJSON and ignores symbol keys: either changes what comes back.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    return `an object with toJSON at ${path}`;
  }
  if (Object.getOwnPropertySymbols(value).length > 0) return `a symbol-keyed property at ${path}`;
  ancestors.add(value);
  try {
    return Array.isArray(value)
      ? arrayProblem(value, path, ancestors)
      : propertiesProblem(value, path, ancestors);
  } finally {
    ancestors.delete(value);
  }
}

function arrayProblem(
  value: readonly unknown[],
  path: string,
  ancestors: Set<object>,
): string | undefined {
  // Holes and extra named properties do not survive JSON.
  if (Object.keys(value).length !== value.length) return `a sparse or decorated array at ${path}`;
  for (let i = 0; i < value.length; i++) {
    const problem = problemAt(value[i], `${path}[${i}]`, ancestors);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function propertiesProblem(
  value: object,
  path: string,
  ancestors: Set<object>,
): string | undefined {
  for (const [name, child] of Object.entries(value)) {
    const childPath = /^[A-Za-z_$][\w$]*$/.test(name)
      ? `${path}.${name}`
      : `${path}[${JSON.stringify(name)}]`;
    const problem = problemAt(child, childPath, ancestors);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** How many prototypes `value` inherits from: 0 for Object.create(null), 1 for `{}`, 2 for `[]`. */
function prototypeDepth(value: object): number {
  let depth = 0;
  for (let p: unknown = Object.getPrototypeOf(value); p !== null; p = Object.getPrototypeOf(p)) {
    depth++;
  }
  return depth;
}
