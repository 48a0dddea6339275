import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HTTP_METHODS, OPENAPI_DOCUMENT_FILE, OPENAPI_TYPES_FILE, stableJson } from '../../apps/api/src/http/openapi';
import { startTestApp, type TestApp } from '../support/test-app';

/*
 * The API's own description is what clients build on (the console's types are generated from it): every route says
 * what its success answer holds and shares one error shape, and the committed document and types are the served ones.
 */

type Schema = Record<string, unknown>;
type Response = { $ref?: string; content?: Record<string, { schema?: Schema }> };
type Responses = Record<string, Response>;
type Operation = { responses?: Responses };
type Document = { paths: Record<string, Record<string, Operation>>; components?: Record<string, unknown> };

const ROOT = join(__dirname, '../..');
const COMMON_ERRORS = ['400', '401', '403', '404', '409', '503'];
const ERROR_SCHEMA = '#/components/schemas/ErrorResponse';
const REGENERATE = 'run `npm run openapi` to regenerate it';

let t: TestApp;
let served: Document;
beforeAll(async () => {
  t = await startTestApp({ RUN_PROJECTOR: 'false' });
  served = (await t.http(null).get('/docs-json').expect(200)).body as Document;
});
afterAll(() => t.close());

const operations = (): { route: string; operation: Operation }[] =>
  Object.entries(served.paths).flatMap(([path, item]) =>
    Object.entries(item)
      .filter(([method]) => (HTTP_METHODS as readonly string[]).includes(method))
      .map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
  );

/** What a local $ref (a JSON pointer into the document) points at, or undefined. */
const lookUp = (ref: string): unknown => {
  if (!ref.startsWith('#/')) return undefined;
  let node: unknown = served;
  for (const part of ref.slice(2).split('/').map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, part)) return undefined;
    node = (node as Record<string, unknown>)[part];
  }
  return node;
};

/** A schema that says something about the body: a reference, a composition, properties, items, or a type other than a bare object. */
const describes = (schema: Schema | undefined): boolean =>
  !!schema && (['$ref', 'oneOf', 'anyOf', 'allOf', 'properties', 'additionalProperties', 'items'].some((key) => key in schema) || (schema.type !== undefined && schema.type !== 'object'));

/** What is wrong with a route's success answers, or null: each 2xx has content with a schema per media type, or is a 204 with no body. */
const successProblem = (responses: Responses): string | null => {
  const successes = Object.entries(responses).filter(([status]) => /^2(\d\d|XX)$/.test(status));
  if (!successes.length) return 'no 2xx response';
  for (const [status, given] of successes) {
    const response = given.$ref ? (lookUp(given.$ref) as Response | undefined) : given;
    const media = Object.entries(response?.content ?? {});
    if (status === '204') {
      if (media.length) return '204 with a body';
      continue;
    }
    if (!media.length) return `${status} without content`;
    const bare = media.filter(([, { schema }]) => !describes(schema)).map(([type]) => type);
    if (bare.length) return `${status} ${bare.join(', ')} without a schema`;
  }
  return null;
};

/** Every $ref in the document, with where it is. */
const refsOf = (node: unknown, at: string): { at: string; ref: string }[] => {
  if (Array.isArray(node)) return node.flatMap((item, i) => refsOf(item, `${at}/${i}`));
  if (typeof node !== 'object' || node === null) return [];
  return Object.entries(node).flatMap(([key, value]) => (key === '$ref' && typeof value === 'string' ? [{ at, ref: value }] : refsOf(value, `${at}/${key}`)));
};

/** The first line where two texts differ, for a message that shows what went stale. */
const firstDifference = (committed: string, current: string): string => {
  const [a, b] = [committed.split('\n'), current.split('\n')];
  const line = a.findIndex((text, i) => text !== b[i]);
  const at = line === -1 ? a.length : line;
  return `first difference at line ${at + 1}: committed ${JSON.stringify(a[at] ?? '(end of file)')}, now ${JSON.stringify(b[at] ?? '(end of file)')}`;
};

const expectUpToDate = async (file: string, current: string): Promise<void> => {
  const committed = await readFile(join(ROOT, file), 'utf8').catch(() => null);
  if (committed === null) throw new Error(`${file} is missing: ${REGENERATE}`);
  if (committed !== current) throw new Error(`${file} is stale (${firstDifference(committed, current)}): ${REGENERATE}`);
};

describe('GET /docs-json', () => {
  it('describes a success answer with a schema (or a 204 with no body) for every route and method', () => {
    const routes = operations();
    expect(routes.length).toBeGreaterThanOrEqual(40);
    const missing = routes.flatMap(({ route, operation }) => {
      const problem = successProblem(operation.responses ?? {});
      return problem ? [`${route}: ${problem}`] : [];
    });
    expect(missing).toEqual([]);
  });

  it('answers 400, 401, 403, 404, 409 and 503 on every route with the one error schema', () => {
    const errorSchema = (response: Response | undefined): unknown => (response?.$ref ? errorSchema(lookUp(response.$ref) as Response) : response?.content?.['application/json']?.schema?.$ref);
    const missing = operations().flatMap(({ route, operation }) =>
      COMMON_ERRORS.filter((status) => errorSchema(operation.responses?.[status]) !== ERROR_SCHEMA).map((status) => `${route}: ${status}`),
    );
    expect(missing).toEqual([]);
    expect(served.components).toHaveProperty(['schemas', 'ErrorResponse', 'required'], expect.arrayContaining(['statusCode', 'error', 'message']));
  });

  it('resolves every $ref to a schema or response in the document', () => {
    const refs = refsOf(served, '#');
    expect(refs.length).toBeGreaterThan(0);
    const dangling = refs.filter(({ ref }) => {
      const target = lookUp(ref);
      return typeof target !== 'object' || target === null;
    });
    expect(dangling).toEqual([]);
  });

  it(`is what ${OPENAPI_DOCUMENT_FILE} holds`, async () => {
    await expectUpToDate(OPENAPI_DOCUMENT_FILE, stableJson(served));
  });

  it(`gives the types ${OPENAPI_TYPES_FILE} holds (openapi-typescript)`, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'openapi-'));
    try {
      await writeFile(join(dir, 'openapi.json'), stableJson(served));
      const cli = join(ROOT, 'node_modules/openapi-typescript/bin/cli.js');
      await promisify(execFile)(process.execPath, [cli, join(dir, 'openapi.json'), '--output', join(dir, 'openapi.d.ts')], { cwd: ROOT });
      await expectUpToDate(OPENAPI_TYPES_FILE, await readFile(join(dir, 'openapi.d.ts'), 'utf8'));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
