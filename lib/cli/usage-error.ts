/** A mistake on the command line; the command exits with code 2 and names the help to read. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}
