import { Module, ValidationPipe, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { json } from 'express';
import { ExecuteCustomerCommandHandler } from './customers/customer-command.handler';
import { CUSTOMER_QUERY_HANDLERS } from './customers/customer.queries';
import { CustomersController } from './customers/customers.controller';
import { ExportEventsHandler, ExportsController } from './exports/exports.controller';
import { ImportsController, RunImportHandler } from './imports/imports.controller';
import { ErrorsFilter, expressErrorHandler, limitDepth, requireJson, validationException } from './http/errors';
import type { Runtime } from '../../../libs/runtime/src';
import { CHURN_HANDLERS, ChurnController } from './churn/churn.controller';
import { SEGMENT_HANDLERS, SegmentsController } from './segments/segments.controller';
import { IssueRiskAlertHandler, RiskAlertsController } from './touchpoints/risk-alerts.controller';
import { GetTouchpointQueueHandler, TouchpointsController } from './touchpoints/touchpoints.controller';
import { SystemController } from './system.controller';
import { CHURN, CONFIG, EVENT_STORE, PROJECTOR, READ_MODELS, SEGMENTS } from './tokens';

@Module({})
class ApiModule {
  static register(runtime: Runtime): DynamicModule {
    return {
      module: ApiModule,
      imports: [CqrsModule.forRoot()],
      controllers: [CustomersController, SegmentsController, ChurnController, RiskAlertsController, TouchpointsController, ImportsController, ExportsController, SystemController],
      providers: [
        { provide: EVENT_STORE, useValue: runtime.store },
        { provide: READ_MODELS, useValue: runtime.readModels },
        { provide: PROJECTOR, useValue: runtime.projector },
        { provide: CONFIG, useValue: runtime.config },
        { provide: SEGMENTS, useValue: runtime.segments },
        { provide: CHURN, useValue: runtime.churn },
        ExecuteCustomerCommandHandler,
        RunImportHandler,
        ExportEventsHandler,
        ...CUSTOMER_QUERY_HANDLERS,
        ...SEGMENT_HANDLERS,
        ...CHURN_HANDLERS,
        IssueRiskAlertHandler,
        GetTouchpointQueueHandler,
      ],
    };
  }
}

/** The HTTP app over an opened runtime; main.ts listens on it, e2e tests drive it with supertest. */
export async function createApi(runtime: Runtime, options: { logger?: false | ('error' | 'warn' | 'log')[] } = {}): Promise<INestApplication> {
  const app = await NestFactory.create(ApiModule.register(runtime), { bodyParser: false, logger: options.logger ?? ['error', 'warn'] });
  app.use(requireJson);
  app.use(json({ limit: runtime.config.bodyLimitBytes }));
  app.use(expressErrorHandler);
  app.use(limitDepth);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationException }),
  );
  app.useGlobalFilters(new ErrorsFilter());
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Travel customer-lifecycle engine')
      .setDescription('Commands write events to the customer stream; queries read the projections and the log.')
      .setVersion('0.1')
      .build(),
  );
  SwaggerModule.setup('docs', app, document);
  await app.init();
  return app;
}
