import {
  type Generated,
  type KyselyPlugin,
  LimitNode,
  type PluginTransformQueryArgs,
  type PluginTransformResultArgs,
  type QueryResult,
  type RootOperationNode,
  SelectQueryNode,
  type UnknownRow,
  ValueNode,
} from 'kysely';

/**
 * The sample database as an application using `CamelCasePlugin` declares it: camelCase names
 * in TypeScript, snake_case in PostgreSQL (the plugin translates both ways).
 */
export interface CamelDatabase {
  users: { id: Generated<number>; name: string | null; birthday: Date | null };
  emails: { id: Generated<number>; userId: number | null; email: string; private: boolean };
}

/**
 * A plugin that only changes the SQL: every SELECT gets `limit 1`. Its `transformResult` hands
 * back the result it was given, as Kysely's query-only plugins (WithSchemaPlugin …) do.
 */
export class LimitOnePlugin implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    if (!SelectQueryNode.is(node)) return node;
    return SelectQueryNode.cloneWithLimit(node, LimitNode.create(ValueNode.createImmediate(1)));
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    return result;
  }
}

/** A plugin that edits rows in place (upper-cases `name`) and returns the same result object. */
export class ShoutNamesInPlacePlugin implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    return node;
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    for (const row of result.rows) {
      if (typeof row.name === 'string') row.name = row.name.toUpperCase();
    }
    return result;
  }
}

/** A plugin that returns new row objects without their null-valued columns. */
export class DropNullsPlugin implements KyselyPlugin {
  transformQuery({ node }: PluginTransformQueryArgs): RootOperationNode {
    return node;
  }

  async transformResult({ result }: PluginTransformResultArgs): Promise<QueryResult<UnknownRow>> {
    const rows = result.rows.map((row) =>
      Object.fromEntries(Object.entries(row).filter(([, value]) => value !== null)),
    );
    return { ...result, rows };
  }
}
