import { Body, Controller, Delete, Get, HttpCode, HttpException, Inject, Post, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { ALL_ROLES, ApiKeyCache, cookieValue, endSession, openSession, SESSION_COOKIE, TokenRejected } from '../../../../libs/auth/src';
import type { Config } from '../../../engine/src';
import { CONFIG, READ_MODELS } from '../tokens';
import { Access, credentialPrincipal, principalOf, Public, recordDenial, type AuthenticatedRequest } from './access';
import { ConsoleSessionResponse, WhoAmIResponse } from './console-session.responses';

export class SignIn {
  @ApiProperty({ description: 'An API key (tlk_...) or, where JWT is configured, a bearer token. Exchanged once; it is not kept.' })
  @IsString({ message: 'credential must be a string' })
  @Length(1, 4096, { message: 'credential must be 1 to 4096 characters' })
  credential!: string;
}

/**
 * The console's sign-in (issue 17): an API key or token in, a short-lived session out, in an HttpOnly, SameSite=Strict
 * cookie that page scripts cannot read; the answer carries the CSRF token every write with the session must send.
 */
@ApiTags('console')
@Controller('auth/session')
export class ConsoleSessionController {
  constructor(
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(CONFIG) private readonly config: Config,
    private readonly keys: ApiKeyCache,
  ) {}

  @Public()
  @Post()
  @HttpCode(201)
  @ApiOperation({ summary: 'Sign in: exchange an API key or token for a console session (cookie) and its CSRF token; 401 auth.credentials when refused' })
  @ApiCreatedResponse({ type: ConsoleSessionResponse, description: 'Signed in: the session cookie is set (HttpOnly, SameSite=Strict).' })
  async signIn(@Body() body: SignIn, @Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<{ id: string; role: string; csrfToken: string; expiresAt: string }> {
    const principal = await credentialPrincipal(body.credential, this.keys, this.config.jwt).catch(async (error: unknown) => {
      if (!(error instanceof TokenRejected)) throw error;
      await recordDenial(this.pool, req, 'unauthenticated', 401, `console sign-in refused: ${error.message}`);
      throw new HttpException({ statusCode: 401, error: 'Unauthorized', message: error.message, field: 'credential', rule: 'auth.credentials' }, 401);
    });
    const ttlMs = this.config.consoleSessionMinutes * 60_000;
    const session = await openSession(this.pool, principal, ttlMs);
    res.cookie(SESSION_COOKIE, session.token, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/', maxAge: ttlMs });
    return { id: principal.id, role: principal.role, csrfToken: session.csrfToken, expiresAt: session.expiresAt };
  }

  @Access(ALL_ROLES)
  @Get()
  @ApiOperation({ summary: 'Who is signed in: id, role and when the session ends (null with a bearer credential)' })
  @ApiOkResponse({ type: WhoAmIResponse })
  whoAmI(@Req() req: Request): { id: string; role: string; expiresAt: string | null } {
    const { id, role } = principalOf(req);
    return { id, role, expiresAt: (req as AuthenticatedRequest).session?.expiresAt ?? null };
  }

  @Access(ALL_ROLES)
  @Delete()
  @HttpCode(204)
  @ApiOperation({ summary: 'Sign out: the session ends at once, in every engine process (needs the CSRF token)' })
  @ApiNoContentResponse({ description: 'Signed out; the cookie is cleared.' })
  async signOut(@Req() req: Request, @Res({ passthrough: true }) res: Response): Promise<void> {
    const token = cookieValue(req.headers.cookie, SESSION_COOKIE);
    if (token !== undefined) await endSession(this.pool, token);
    res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'strict', secure: req.secure, path: '/' });
  }
}
