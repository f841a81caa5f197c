import { InvalidOptionsError } from '../../core/errors.js';
import { describeValue } from '../../core/describe-value.js';

/** What a `redis://` or `rediss://` URL gives; undefined where the URL leaves a part out. */
export interface UrlParts {
  host: string | undefined;
  port: number | undefined;
  username: string | undefined;
  password: string | undefined;
  db: number | undefined;
  tls: boolean;
}

/**
 * Parses a `redis://[user[:password]@]host[:port][/db]` or `rediss://` URL. Throws
 * {@link InvalidOptionsError} without echoing the URL, which may hold a password.
 */
export function parseRedisUrl(url: unknown): UrlParts {
  if (typeof url !== 'string') {
    throw new InvalidOptionsError(`url must be a string; got ${describeValue(url)}`);
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // The url may carry a password: never echo it.
    throw new InvalidOptionsError('url is not a valid redis:// or rediss:// URL');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new InvalidOptionsError(
      `url must start with redis:// or rediss://; got ${parsed.protocol}//`,
    );
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    throw new InvalidOptionsError('url must not have a query string or fragment');
  }
  const path = parsed.pathname.replace(/^\//, '');
  if (path !== '' && !/^\d+$/.test(path)) {
    throw new InvalidOptionsError(`url path must be a database number such as /0; got /${path}`);
  }
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  return {
    host: host === '' ? undefined : host,
    port: parsed.port === '' ? undefined : Number(parsed.port),
    username: parsed.username === '' ? undefined : decodeURIComponent(parsed.username),
    password: parsed.password === '' ? undefined : decodeURIComponent(parsed.password),
    db: path === '' ? undefined : Number(path),
    tls: parsed.protocol === 'rediss:',
  };
}
