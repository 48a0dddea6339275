import type { Server } from 'node:http';
import { Logger, Module, ValidationPipe, type DynamicModule, type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { SwaggerModule } from '@nestjs/swagger';
import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { Reflector } from '@nestjs/core';
import { ApiKeyCache, migrateApiKeys, SharedRateLimitStore, type Principal } from '../../../libs/auth/src';
import { migrateAuditLog } from '../../../libs/audit/src';
import { AccessGuard, ApiKeyCacheShutdown, authenticate, recordDenial, type AuthenticatedRequest } from './auth/access';
import { ConsoleSessionController } from './auth/console-session.controller';
import { serveConsole } from './console';
import { CustomerSearchController } from './customers/customer-search.controller';
import { PersonalDataInterceptor } from './auth/personal-data';
import { ExecuteCustomerCommandHandler } from './customers/customer-command.handler';
import { CUSTOMER_QUERY_HANDLERS } from './customers/customer.queries';
import { CustomersController } from './customers/customers.controller';
import { ForgetController } from './customers/forget.controller';
import { FeedbackController } from './feedback/feedback.controller';
import { ExportEventsHandler, ExportsController } from './exports/exports.controller';
import { ImportsController } from './imports/imports.controller';
import { TouchpointSchedules } from './customers/touchpoint-schedule';
import { ErrorsFilter, toErrorBody, expressErrorHandler, failFastWhileDown, limitDepth, requireJson, validationException } from './http/errors';
import { jsonBody } from './http/json-body';
import { apiDocument } from './http/openapi';
import { Overloaded, shedOverload } from './http/overload';
import type { Runtime } from '../../engine/src';
import { CHURN_HANDLERS, ChurnController } from './churn/churn.controller';
import { SEGMENT_HANDLERS, SegmentsController } from './segments/segments.controller';
import { IssueRiskAlertHandler, RiskAlertsController } from './touchpoints/risk-alerts.controller';
import { TouchpointsController } from './touchpoints/touchpoints.controller';
import { CampaignResultsController } from './campaigns/campaign-results.controller';
import { CampaignsController } from './campaigns/campaigns.controller';
import { SystemController } from './system.controller';
import { AuditController } from './audit/audit.controller';
import { AnalyticsController } from './analytics/analytics.controller';
import { CHURN, COMMAND_QUEUE, CONFIG, EVENT_STORE, OFFERS, PROJECTOR, READ_MODELS, SEALER, SEGMENTS, TOUCHPOINT_SCHEDULES } from './tokens';
import { OfferReader } from './offers/offer-reader';
import { OffersController } from './offers/offers.controller';

@Module({})
class ApiModule {
  static register(runtime: Runtime, keys: ApiKeyCache): DynamicModule {
    return {
      module: ApiModule,
      imports: [CqrsModule.forRoot()],
      controllers: [ConsoleSessionController, CustomerSearchController, CustomersController, ForgetController, SegmentsController, OffersController, ChurnController, FeedbackController, RiskAlertsController, TouchpointsController, ImportsController, ExportsController, AuditController, AnalyticsController, CampaignsController, CampaignResultsController, SystemController],
      providers: [
        { provide: EVENT_STORE, useValue: runtime.store },
        { provide: COMMAND_QUEUE, useValue: runtime.commandQueue },
        { provide: READ_MODELS, useValue: runtime.readModels },
        { provide: PROJECTOR, useValue: runtime.projector },
        { provide: SEALER, useValue: runtime.sealer },
        { provide: CONFIG, useValue: runtime.config },
        { provide: SEGMENTS, useValue: runtime.segments },
        { provide: CHURN, useValue: runtime.churn },
        { provide: OFFERS, useValue: new OfferReader(runtime.readModels, runtime.segments.interests.derived) },
        { provide: TOUCHPOINT_SCHEDULES, useValue: new TouchpointSchedules(runtime.readModels, runtime.touchpoints) },
        { provide: ApiKeyCache, useValue: keys },
        ApiKeyCacheShutdown,
        ExecuteCustomerCommandHandler,
        ExportEventsHandler,
        ...CUSTOMER_QUERY_HANDLERS,
        ...SEGMENT_HANDLERS,
        ...CHURN_HANDLERS,
        IssueRiskAlertHandler,
      ],
    };
  }
}

/** The rate limit a request runs under, and whose it is, for the 429 answer. */
const limitOf = (principal: Principal | undefined, perAddressOrToken: number): { perMinute: number; whose: string } => {
  if (principal?.via.kind === 'api-key') return { perMinute: principal.via.rateLimitPerMinute, whose: `the limit of API key ${principal.id}` };
  return { perMinute: perAddressOrToken, whose: principal ? `the limit of each token subject (RATE_LIMIT_PER_MINUTE)` : `the limit of each address without credentials (RATE_LIMIT_PER_MINUTE)` };
};

/** The HTTP app over an opened runtime; main.ts listens on it, e2e tests drive it with supertest. */
export async function createApi(runtime: Runtime, options: { logger?: false | ('error' | 'warn' | 'log')[] } = {}): Promise<INestApplication> {
  const { config, readModels: pool } = runtime;
  await migrateApiKeys(pool);
  await migrateAuditLog(pool);
  const logger = new Logger('ApiKeys');
  const keys = new ApiKeyCache(pool, { log: (line) => logger.warn(line) });
  const app = await NestFactory.create(ApiModule.register(runtime, keys), { bodyParser: false, logger: options.logger ?? ['error', 'warn'] });
  // In front of everything, so a shed command costs no routing, authentication, rate-limit count or body parsing.
  shedOverload(
    app.getHttpServer() as Server,
    { maxInFlight: config.maxInFlightCommands, maxBusyPercent: config.maxApiBusyPercent },
    toErrorBody(new Overloaded(config.maxInFlightCommands)),
  );
  // Swagger UI needs its inline script; every other answer gets helmet's strict defaults.
  const strict = helmet();
  const docs = helmet({ contentSecurityPolicy: false });
  app.use((req: Request, res: Response, next: NextFunction) => (req.path.startsWith('/docs') ? docs : strict)(req, res, next));
  serveConsole(app);
  app.use(failFastWhileDown(runtime.availability));
  if (config.corsOrigins.length) {
    app.enableCors({
      origin: config.corsOrigins.includes('*') ? '*' : config.corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type', 'If-Match', 'X-Correlation-Id'],
      exposedHeaders: ['Retry-After', 'X-Read-Model-Stale', 'RateLimit', 'RateLimit-Policy'],
      maxAge: 600,
    });
  }
  app.use(authenticate(keys, config.jwt, pool));
  app.use(
    rateLimit({
      windowMs: 60_000,
      // Counted across every API process on this database (synced about once a second), not per process.
      store: new SharedRateLimitStore(pool, (line) => new Logger('RateLimit').warn(line)),
      // An API key's own limit, set at its creation; RATE_LIMIT_PER_MINUTE for token subjects and unauthenticated callers.
      limit: (req) => limitOf((req as AuthenticatedRequest).principal, config.rateLimitPerMinute).perMinute,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      // Per key (or token subject) once authenticated, per address before: one noisy client cannot starve the others.
      keyGenerator: (req) => {
        const principal = (req as AuthenticatedRequest).principal;
        return principal ? `${principal.via.kind}:${principal.via.kind === 'api-key' ? principal.via.keyId : principal.id}` : `address:${ipKeyGenerator(req.ip ?? '')}`;
      },
      skip: (req) => req.path === '/health',
      handler: (req, res) => {
        const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const seconds = Math.max(1, Math.ceil(((reset?.getTime() ?? Date.now() + 60_000) - Date.now()) / 1000));
        res.setHeader('Retry-After', String(seconds));
        const { perMinute, whose } = limitOf((req as AuthenticatedRequest).principal, config.rateLimitPerMinute);
        const message = `more than ${perMinute} requests a minute, ${whose}; retry after ${seconds} s`;
        void recordDenial(pool, req, 'rate-limited', 429, message);
        res.status(429).json({ statusCode: 429, error: 'Too Many Requests', message, rule: 'rate-limit' });
      },
    }),
  );
  app.use(requireJson);
  app.use(jsonBody(runtime.config.bodyLimitBytes));
  app.use(expressErrorHandler);
  app.use(limitDepth);
  app.useGlobalPipes(
    new ValidationPipe({ whitelist: true, forbidNonWhitelisted: true, transform: true, exceptionFactory: validationException }),
  );
  app.useGlobalGuards(new AccessGuard(app.get(Reflector), pool));
  app.useGlobalInterceptors(new PersonalDataInterceptor(pool));
  app.useGlobalFilters(new ErrorsFilter(runtime.availability));
  SwaggerModule.setup('docs', app, apiDocument(app));
  await app.init();
  return app;
}
