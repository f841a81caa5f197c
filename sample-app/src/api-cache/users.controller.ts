import { Controller, Get, Param } from '@nestjs/common';
import { UserIdPipe } from '../common/user-id.pipe.js';
import { UsersApiClient } from './users-api.client.js';

/** Shows API response caching: compare `tookMs` of a first and a second call. */
@Controller('api/users')
export class UsersController {
  constructor(private readonly users: UsersApiClient) {}

  /** `GET /api/users/:id`: the upstream user, and how long it took to get it. */
  @Get(':id')
  async user(@Param('id', UserIdPipe) id: number) {
    const started = performance.now();
    const user = await this.users.fetchUser(id);
    return { user, tookMs: Math.round(performance.now() - started) };
  }
}
