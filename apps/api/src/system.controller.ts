import { ACCESS } from '../../../libs/auth/src';
import { Access, Public } from './auth/access';
import { Controller, Get, Inject, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import type { Pool } from 'pg';
import { leaseOwners, type LeaseOwner, type Projector, type ProjectionStatus } from '../../../libs/projection-engine/src';
import type { Sealer } from '../../../libs/event-store/src';
import type { Config } from '../../engine/src';
import { CONFIG, PROJECTOR, READ_MODELS, SEALER } from './tokens';
import { RecentValue } from './http/recent-value';
import { HealthResponse, ProjectionsResponse, type Health, type Seal, type StoppedReadModel } from './system.responses';

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
  private readonly live = new RecentValue(async (): Promise<{ seal: Seal | null; stopped: StoppedReadModel[] }> => {
    const [seal, stopped] = await Promise.all([this.seal(), this.stoppedReadModels()]);
    return { seal, stopped };
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

  /** The read models stopped at an event (in one partition or more), each with the first event it stopped at. */
  private async stoppedReadModels(): Promise<StoppedReadModel[]> {
    const { rows } = await this.pool.query<StoppedReadModel>(
      `SELECT DISTINCT ON (name) name, stopped->>'position' AS position, stopped->>'type' AS type, stopped->>'error' AS error
         FROM read_models.projection_checkpoints WHERE stopped IS NOT NULL ORDER BY name, (stopped->>'position')::bigint`,
    );
    return rows.map((row) => ({ ...row, position: Number(row.position) }));
  }

  /** The sealed global chain's lag; alarm once an event has waited longer than SEAL_ALARM_SECONDS. */
  private async seal(): Promise<Seal | null> {
    if (!this.sealer) return null;
    const status = await this.sealer.status();
    return { ...status, state: status.lagSeconds > this.config.seal.alarmSeconds ? 'alarm' : 'ok' };
  }

  @Public()
  @Get('health')
  @ApiOperation({
    summary: "Liveness, database reachability, read models stopped at an event and the global chain's seal lag (read at most a second before)",
    description: 'status is degraded (still 200) while a read model is stopped at an event it cannot apply: GET /projections names the event.',
  })
  @ApiOkResponse({ type: HealthResponse })
  async health(): Promise<Health> {
    const { seal, stopped } = await this.live.get();
    const sealLag = seal && { state: seal.state, unsealed: seal.unsealed, lagSeconds: seal.lagSeconds };
    return stopped.length ? { status: 'degraded', database: 'ok', stoppedReadModels: stopped, seal: sealLag } : { status: 'ok', database: 'ok', seal: sealLag };
  }

  @Access(ACCESS.anyone)
  @Get('projections')
  @ApiOperation({ summary: 'Each projection: state (running, or stopped at an event it names), position, lag (events and seconds) and rate; which projector process holds each partition (-1: the leader); and the seal lag of the global chain' })
  @ApiOkResponse({ type: ProjectionsResponse })
  async projections(): Promise<{ projections: ProjectionStatus[]; partitions: LeaseOwner[]; seal: Seal | null }> {
    const [projections, partitions, seal] = await Promise.all([this.projector.status(), leaseOwners(this.pool), this.seal()]);
    return { projections, partitions, seal };
  }
}
