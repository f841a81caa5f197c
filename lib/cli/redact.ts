// user:password@ in any redis:// or rediss:// URL that may appear in a message.
const URL_CREDENTIALS = /\b(rediss?:\/\/)([^:@/\s]*):[^@/\s]*@/g;

/** A Redis URL fit for messages: its password replaced by `***`. */
export function redactUrl(url: string): string {
  return url.replace(URL_CREDENTIALS, '$1$2:***@');
}

/**
 * Scrubs a message before it is printed: passwords of URLs anywhere in it, and every known
 * secret (the passwords the command was given), in case a lower layer echoed one.
 */
export function redactMessage(message: string, secrets: readonly string[]): string {
  let text = redactUrl(message);
  for (const secret of secrets) {
    if (secret.length > 0) text = text.split(secret).join('***');
  }
  return text;
}

/** The password of a Redis URL as written and decoded (for scrubbing); empty when it has none. */
export function urlSecrets(url: string): string[] {
  let password: string;
  try {
    password = new URL(url).password;
  } catch {
    // Not a URL: the store rejects it with a message that never echoes it; nothing to scrub here.
    return [];
  }
  if (password === '') return [];
  let decoded: string;
  try {
    decoded = decodeURIComponent(password);
  } catch {
    // A stray % is not an escape: the password is used as written, so scrub it as written.
    decoded = password;
  }
  return decoded === password ? [password] : [password, decoded];
}
