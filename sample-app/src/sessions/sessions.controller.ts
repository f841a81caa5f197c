import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { KvStore } from 'nestjs-kv-store';
import { optionalObject, requireString } from '../common/request-validation.js';

/** Sessions live for 24 hours, in seconds. */
export const SESSION_TTL_SECONDS = 24 * 3600;

interface Session {
  id: string;
  userId: string;
  data: Record<string, unknown>;
  createdAt: string;
}

/** Sessions kept in the store with a 24 hour TTL. */
@Controller('sessions')
export class SessionsController {
  constructor(private readonly store: KvStore) {}

  /** `POST /sessions {"userId", "data"?}`: creates a session that expires in 24 hours. */
  @Post()
  async create(@Body() body: unknown) {
    const session: Session = {
      id: randomUUID(),
      userId: requireString(body, 'userId', 200),
      data: optionalObject(body, 'data') ?? {},
      createdAt: new Date().toISOString(),
    };
    await this.store.put(sessionKey(session.id), session, { ttl: { hours: 24 } });
    return { ...session, expiresInSeconds: SESSION_TTL_SECONDS };
  }

  /** `GET /sessions/:id`: the session and its remaining seconds, or 404. */
  @Get(':id')
  async read(@Param('id') id: string) {
    const session = await this.store.get<Session>(sessionKey(id));
    if (session === undefined) throw new NotFoundException(`No session ${id}`);
    return {
      ...session,
      expiresInSeconds: Math.round((await this.store.ttl(sessionKey(id))) ?? 0),
    };
  }

  /** `DELETE /sessions/:id`: ends the session (204), or 404 when there is none. */
  @Delete(':id')
  @HttpCode(204)
  async remove(@Param('id') id: string): Promise<void> {
    if (!(await this.store.delete(sessionKey(id)))) throw new NotFoundException(`No session ${id}`);
  }
}

function sessionKey(id: string): string {
  return `session:${id}`;
}
