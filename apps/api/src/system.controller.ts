import { ACCESS } from '../../../libs/auth/src';
import { Access, Public } from './auth/access';
import { Controller, Get, Inject, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import type { Projector, ProjectionStatus } from '../../../libs/projection-engine/src';
import type { Sealer, SealStatus } from '../../../libs/event-store/src';
import type { Config } from '../../engine/src';
import { CONFIG, PROJECTOR, READ_MODELS, SEALER } from './tokens';
import { RecentValue } from './http/recent-value';

type Seal = SealStatus & { state: 'ok' | 'alarm' };

@ApiTags('system')
@Controller()
export class SystemController implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(PROJECTOR) private readonly projector: Projector,
    @Inject(READ_MODELS) private readonly pool: Pool,
    @Inject(SEALER) private readonly sealer: Sealer | null,
    @Inject(CONFIG) private readonly config: Config,
  ) {}

  /** What /health shows, at most a second old (up to 10 s while the database is slow to answer). */
  private readonly live = new RecentValue(async (): Promise<Seal | null> => {
    const seal = await this.seal();
    if (!seal) await this.pool.query('SELECT 1');
    return seal;
  });
  /**
   * Kept fresh every second from start-up, so no probe is the one that waits for the read (in the 2,000-booking
   * catch-up the probes that came while the first read ran made the p99); a failed read is left for the next probe.
   */
  private refresher?: NodeJS.Timeout;

  onApplicationBootstrap(): void {
    const refresh = (): void => void this.live.get().catch(() => undefined);
    refresh();
    this.refresher = setInterval(refresh, 1_000).unref();
  }

  onApplicationShutdown(): void {
    clearInterval(this.refresher);
  }

  /** The sealed global chain's lag; alarm once an event has waited longer than SEAL_ALARM_SECONDS. */
  private async seal(): Promise<Seal | null> {
    if (!this.sealer) return null;
    const status = await this.sealer.status();
    return { ...status, state: status.lagSeconds > this.config.seal.alarmSeconds ? 'alarm' : 'ok' };
  }

  @Public()
  @Get('health')
  @ApiOperation({ summary: "Liveness, database reachability and the global chain's seal lag (read at most a second before)" })
  async health(): Promise<{ status: 'ok'; database: 'ok'; seal: { state: 'ok' | 'alarm'; unsealed: number; lagSeconds: number } | null }> {
    const seal = await this.live.get();
    return { status: 'ok', database: 'ok', seal: seal && { state: seal.state, unsealed: seal.unsealed, lagSeconds: seal.lagSeconds } };
  }

  @Access(ACCESS.anyone)
  @Get('projections')
  @ApiOperation({ summary: 'Each projection: position, lag (events and seconds) and rate; and the seal lag of the global chain' })
  async projections(): Promise<{ projections: ProjectionStatus[]; seal: Seal | null }> {
    const [projections, seal] = await Promise.all([this.projector.status(), this.seal()]);
    return { projections, seal };
  }
}
