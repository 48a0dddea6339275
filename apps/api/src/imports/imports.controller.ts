import { ACCESS } from '../../../../libs/auth/src';
import { Access } from '../auth/access';
import { Controller, HttpCode, HttpException, Inject, Post, Req } from '@nestjs/common';
import { ApiConsumes, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, ApiUnsupportedMediaTypeResponse } from '@nestjs/swagger';
import type { Request } from 'express';
import type { EventStore } from '../../../../libs/event-store/src';
import type { Config } from '../../../engine/src';
import { requestMetadata } from '../http/request-metadata';
import { ratedCurrencies, type SegmentConfig } from '../../../../libs/segments/src';
import { CONFIG, EVENT_STORE, SEGMENTS, TOUCHPOINT_SCHEDULES } from '../tokens';
import type { TouchpointSchedules } from '../customers/touchpoint-schedule';
import { readLines } from './import-sources';
import { Importer, type ImportSummary } from './importer';
import { ErrorResponse } from '../http/error.responses';
import { ImportSummaryResponse } from './import.responses';

const NDJSON = 'application/x-ndjson';

@ApiTags('imports')
@Controller('imports')
export class ImportsController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(TOUCHPOINT_SCHEDULES) private readonly touchpoints: TouchpointSchedules,
    @Inject(CONFIG) private readonly config: Config,
    @Inject(SEGMENTS) private readonly segments: SegmentConfig,
  ) {}

  @Access(ACCESS.writeCustomers)
  @Post()
  @HttpCode(200)
  @ApiConsumes(NDJSON)
  @ApiHeader({ name: 'X-Correlation-Id', required: false, description: 'Becomes the import id and every imported event’s correlation id.' })
  @ApiOperation({
    summary: 'Bulk import: one command per line (the API body plus type, customerId, occurredAt, optional eventId), streamed',
    description:
      'Good lines are imported, bad ones listed with line number and reason. Idempotent: a line imported before is skipped as a duplicate. ' +
      'Each line may be at most BODY_LIMIT_BYTES long; the body as a whole is not limited. A body with no line that could be imported answers 400, ' +
      'with the summary’s fields in the error body.',
  })
  @ApiOkResponse({ type: ImportSummaryResponse, description: 'At least one line imported (or imported before); the bad ones listed.' })
  @ApiUnsupportedMediaTypeResponse({ type: ErrorResponse, description: `The body is not ${NDJSON}.` })
  async import(@Req() req: Request): Promise<ImportSummary> {
    if (!req.is(NDJSON)) {
      throw new HttpException(
        { statusCode: 415, error: 'Unsupported Media Type', message: `content type must be ${NDJSON}`, field: 'Content-Type', rule: `must be ${NDJSON}` },
        415,
      );
    }
    const summary = await new Importer(this.store, { metadata: requestMetadata(req, 'import'), touchpoints: this.touchpoints, currencies: ratedCurrencies(this.segments) }).run(readLines(req, this.config.bodyLimitBytes));
    if (summary.linesRead === 0) {
      throw new HttpException({ statusCode: 400, error: 'Bad Request', message: 'the body holds no command line', field: 'body', rule: 'must hold at least one line' }, 400);
    }
    if (summary.imported + summary.duplicates === 0) {
      throw new HttpException(
        { statusCode: 400, error: 'Bad Request', message: `no line could be imported: ${summary.rejected} rejected`, field: 'body', rule: 'must hold at least one valid command line', ...summary },
        400,
      );
    }
    return summary;
  }
}
