import { ACCESS } from '../../../../libs/auth/src';
import { Access, principalOf } from '../auth/access';
import { Controller, Get, Inject, Query, Req, Res } from '@nestjs/common';
import { QueryBus, QueryHandler, type IQueryHandler } from '@nestjs/cqrs';
import { ApiExtraModels, ApiOkResponse, ApiOperation, ApiPropertyOptional, ApiTags, getSchemaPath } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import type { Request, Response } from 'express';
import type { Pool } from 'pg';
import { START, type EventStore, type RecordedEvent } from '../../../../libs/event-store/src';
import { EVENT_STORE, READ_MODELS } from '../tokens';
import { screenResponse } from '../auth/personal-data';
import { RecordedEventResponse } from '../customers/customer-history.responses';

export class ExportQuery {
  @ApiPropertyOptional({ description: 'The checkpoint of the last line received: the export continues after it; default from the start.', example: '7351:1042' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,20}:\d{1,20}$/, { message: 'after must be a checkpoint from an earlier export line ("<number>:<number>")' })
  after?: string;
}

export class ExportEvents {
  constructor(readonly after: string) {}
}

const PAGE = 1000;

@QueryHandler(ExportEvents)
export class ExportEventsHandler implements IQueryHandler<ExportEvents, AsyncIterable<RecordedEvent[]>> {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async execute({ after }: ExportEvents): Promise<AsyncIterable<RecordedEvent[]>> {
    const store = this.store;
    // The first page is read before anything is sent, so an unreadable log answers with an error status.
    const first = await store.readAll(after, PAGE);
    return (async function* () {
      let page = first;
      while (page.events.length) {
        yield page.events;
        page = await store.readAll(page.checkpoint, PAGE);
      }
    })();
  }
}

@ApiTags('exports')
@Controller('exports')
export class ExportsController {
  constructor(
    private readonly queries: QueryBus,
    @Inject(READ_MODELS) private readonly pool: Pool,
  ) {}

  @Access(ACCESS.readAllCustomers)
  @Get('events')
  @ApiOperation({
    summary: 'The whole log as newline-delimited JSON, in commit order, every event in its current schema',
    description: 'Each line is one event with its checkpoint; pass the last one as ?after= to continue from there.',
  })
  @ApiExtraModels(RecordedEventResponse)
  @ApiOkResponse({
    description: 'One JSON event per line (the schema is that of a line), streamed; a stream cut short ended in an error: continue after the last whole line.',
    content: { 'application/x-ndjson': { schema: { $ref: getSchemaPath(RecordedEventResponse) } } },
  })
  async events(@Query() query: ExportQuery, @Req() req: Request, @Res() res: Response): Promise<void> {
    const principal = principalOf(req);
    const pages: AsyncIterable<RecordedEvent[]> = await this.queries.execute(new ExportEvents(query.after ?? START));
    res.status(200).type('application/x-ndjson');
    try {
      for await (const events of pages) {
        // Page by page: masked for analysts, and each page's readers logged before it leaves.
        await screenResponse(this.pool, req, principal, events);
        if (!res.write(events.map((event) => JSON.stringify(event)).join('\n') + '\n')) await new Promise((resolve) => res.once('drain', resolve));
      }
      res.end();
    } catch (error) {
      // Headers are gone: cut the response short so a client never takes a partial export for a whole one.
      res.destroy(error instanceof Error ? error : new Error(String(error)));
    }
  }
}
