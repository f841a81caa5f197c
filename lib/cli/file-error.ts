/** A file the command was given cannot be read or written; the command exits with code 6. */
export class FileAccessError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'FileAccessError';
  }
}

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EEXIST: 'it already exists',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
};

/**
 * A {@link FileAccessError} for a failed file operation: "cannot <verb> <path>: <reason>", naming
 * the path the user typed (not a temporary name derived from it) and without Node's stack.
 */
export function fileAccessError(verb: 'read' | 'write', path: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reason =
    (code !== undefined ? REASONS[code] : undefined) ??
    (error instanceof Error ? error.message : String(error));
  return new FileAccessError(`cannot ${verb} ${path}: ${reason}`, error);
}
