import { HttpException, Injectable, ServiceUnavailableException } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { Cached } from 'nestjs-kv-store';
import type { UpstreamUser } from './upstream.controller.js';

/** How long an upstream answer is reused, in seconds. */
export const USER_CACHE_TTL_SECONDS = 60;

/** Client of the slow upstream API; its answers are cached in the store for a minute. */
@Injectable()
export class UsersApiClient {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  /** Fetches a user from the upstream API over HTTP; the second call within 60 s is served from the store. */
  @Cached(USER_CACHE_TTL_SECONDS)
  async fetchUser(id: number): Promise<UpstreamUser> {
    const response = await fetch(`${this.ownUrl()}/upstream/users/${id}`);
    // 503 means "a dependency is down": only the upstream's own failures are reported as such.
    if (response.status >= 500) {
      throw new ServiceUnavailableException(`The upstream API answered ${response.status}`);
    }
    if (!response.ok) {
      throw new HttpException(
        `The upstream API refused user ${id} (${response.status})`,
        response.status,
      );
    }
    return (await response.json()) as UpstreamUser;
  }

  /** The app calls its own upstream endpoint, wherever it listens (port 0 in tests). */
  private ownUrl(): string {
    const server = this.adapterHost.httpAdapter.getHttpServer() as {
      address(): AddressInfo | string | null;
    };
    const address = server.address();
    if (address === null || typeof address === 'string') {
      throw new ServiceUnavailableException('The app is not listening on a TCP port');
    }
    return `http://127.0.0.1:${address.port}`;
  }
}
