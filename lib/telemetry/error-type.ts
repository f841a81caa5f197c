/**
 * The `error.type` of a failed operation: the stable `code` of a `KvStoreError` (`CONNECTION`,
 * `TIMEOUT`, ...), else the error's class name. Messages are never used: they name the key.
 */
export function errorType(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0) return code;
    return error.name || '_OTHER';
  }
  return '_OTHER';
}
