import { ACCESS } from '../../../libs/auth/src';
import { Access, Public } from './auth/access';
import { Controller, Get, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import type { Projector, ProjectionStatus } from '../../../libs/projection-engine/src';
import { PROJECTOR, READ_MODELS } from './tokens';

@ApiTags('system')
@Controller()
export class SystemController {
  constructor(
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(READ_MODELS) private readonly pool: Pool,
  ) {}

  @Public()
  @Get('health')
  @ApiOperation({ summary: 'Liveness and database reachability' })
  async health(): Promise<{ status: 'ok'; database: 'ok' }> {
    await this.pool.query('SELECT 1');
    return { status: 'ok', database: 'ok' };
  }

  @Access(ACCESS.anyone)
  @Get('projections')
  @ApiOperation({ summary: 'Each projection: position, lag (events and seconds) and rate' })
  async projections(): Promise<{ projections: ProjectionStatus[] }> {
    return { projections: await this.projector.status() };
  }
}
