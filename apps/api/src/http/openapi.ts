import { applyDecorators, type INestApplication } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, DocumentBuilder, getSchemaPath, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { ErrorResponse } from './error.responses';

/** Where `npm run openapi` writes the served document, and the types openapi-typescript makes of it (paths from the repository root). */
export const OPENAPI_DOCUMENT_FILE = 'docs/openapi.json';
export const OPENAPI_TYPES_FILE = 'apps/console/src/openapi.d.ts';

/**
 * The error answers every route may give, each described once under components.responses (all with the one body
 * errors.ts builds) and referred to from every operation; a route adds the ones only it gives (422, 415, 501).
 */
const COMMON_ERRORS: [status: number, name: string, description: string][] = [
  [400, 'BadRequest', 'Invalid input: field and rule name the first problem, errors lists them all.'],
  [401, 'Unauthorized', 'No valid credentials (every route but /health and /docs needs them).'],
  [403, 'Forbidden', "The caller's role may not use this route, or a console session's write came without its CSRF token."],
  [404, 'NotFound', 'Unknown customer, booking, complaint, touchpoint or segment, or no churn model fitted yet.'],
  [409, 'Conflict', 'A rule was broken (rule names it), or If-Match named a version the stream has moved on from (version.expected).'],
  [429, 'TooManyRequests', "Past the caller's rate limit; Retry-After says when to try again."],
  [500, 'InternalServerError', 'An internal error; the operator finds the details in the engine log.'],
  [
    503,
    'ServiceUnavailable',
    'The database is down (database.available), or the engine or the customer’s command queue is full (engine.overloaded, command-queue.*); nothing was written. Retry-After says when to try again.',
  ],
];

/** The operations a path item may hold. */
export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const;

/** The engine's OpenAPI document, as served at /docs-json. */
export function apiDocument(app: INestApplication): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle('Travel customer-lifecycle engine')
    .setDescription('Commands write events to the customer stream; queries read the projections and the log.')
    .setVersion('0.1')
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An API key (npm run keys -- create) or a JWT from the configured issuer' })
    .addSecurityRequirements('bearer');
  const document = SwaggerModule.createDocument(app, builder.build(), { extraModels: [ErrorResponse] });
  const error = { 'application/json': { schema: { $ref: getSchemaPath(ErrorResponse) } } };
  document.components = { ...document.components, responses: Object.fromEntries(COMMON_ERRORS.map(([, name, description]) => [name, { description, content: error }])) };
  for (const item of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation) continue;
      for (const [status, name] of COMMON_ERRORS) operation.responses[status] ??= { $ref: `#/components/responses/${name}` };
    }
  }
  return document;
}

/** A 200 whose body is one of several shapes (a union in the handler's type). */
export const ApiOkResponseOneOf = (description: string, ...models: (new () => object)[]): MethodDecorator =>
  applyDecorators(ApiExtraModels(...models), ApiOkResponse({ description, schema: { oneOf: models.map((model) => ({ $ref: getSchemaPath(model) })) } }));

const sortKeys = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.keys(value)
      .sort()
      .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
  );
};

/**
 * The document as docs/openapi.json holds it: keys sorted at every level (arrays keep their order), so a new route
 * or property is a diff of its own lines, whatever order the decorators were read in.
 */
export const stableJson = (document: unknown): string => `${JSON.stringify(sortKeys(document), null, 2)}\n`;
