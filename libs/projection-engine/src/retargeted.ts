import type { PoolClient, QueryConfig } from 'pg';

/**
 * A client whose SQL works on `schema` where it says read_models: a projection's migrations, routines and apply
 * build a new version of its tables there, beside the ones that serve, for a blue/green rebuild (issue 16). Named
 * (prepared) statements get a name of their own per schema; a COPY stream is rewritten in place.
 */
export function retargeted(client: PoolClient, schema: string): PoolClient {
  const rewrite = (text: string): string => text.replaceAll('read_models.', `${schema}.`);
  const query = (config: string | QueryConfig, values?: unknown[]): unknown => {
    if (typeof config === 'string') return client.query(rewrite(config), values);
    // A submittable (a COPY stream) is itself the query: its text is changed in place.
    if (typeof (config as { submit?: unknown }).submit === 'function') {
      config.text = rewrite(config.text);
      return client.query(config as never);
    }
    return client.query({ ...config, text: rewrite(config.text), ...(config.name ? { name: `${config.name}@${schema}` } : {}) }, values);
  };
  return new Proxy(client, {
    get(target, property) {
      if (property === 'query') return query;
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
