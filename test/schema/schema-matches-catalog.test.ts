import { readFile } from 'node:fs/promises';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { observe, useTestDatabase } from '../support/test-database.js';

const db = useTestDatabase();

/** The TypeScript type text each catalog type must be declared as in schema/database.ts. */
const TS_TYPE_FOR: Record<string, string> = {
  integer: 'number',
  'character varying': 'string',
  text: 'string',
  'timestamp without time zone': 'Date',
  'timestamp with time zone': 'Date',
  date: 'Date',
  boolean: 'boolean',
  jsonb: 'Json',
  numeric: 'Decimal',
  bigint: 'Decimal',
  uuid: 'string',
  bytea: 'Buffer',
  'ARRAY:_text': 'string[]',
};

/** Maps interface name → table name, as `Database` declares them. */
interface DeclaredColumn {
  readonly type: string;
  readonly nullable: boolean;
  readonly generated: boolean;
}

async function declaredTables(): Promise<Map<string, Map<string, DeclaredColumn>>> {
  const path = new URL('../../schema/database.ts', import.meta.url);
  const source = ts.createSourceFile(
    'database.ts',
    await readFile(path, 'utf8'),
    ts.ScriptTarget.Latest,
  );
  const interfaces = new Map<string, ts.InterfaceDeclaration>();
  source.forEachChild((node) => {
    if (ts.isInterfaceDeclaration(node)) interfaces.set(node.name.text, node);
  });
  const database = interfaces.get('Database');
  if (!database) throw new Error('schema/database.ts has no Database interface');
  const tables = new Map<string, Map<string, DeclaredColumn>>();
  for (const member of database.members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    const table = interfaces.get(member.type.getText(source));
    if (!table) throw new Error(`no interface for table ${member.name.getText(source)}`);
    const columns = new Map<string, DeclaredColumn>();
    for (const column of table.members) {
      if (!ts.isPropertySignature(column) || !column.type) continue;
      let text = column.type.getText(source).replace(/\s+/g, ' ');
      const generated = /^Generated<(.+)>$/.exec(text);
      if (generated?.[1]) text = generated[1];
      const parts = text.split(' | ');
      const nullable = parts.includes('null');
      columns.set(column.name.getText(source), {
        type: parts.filter((part) => part !== 'null').join(' | '),
        nullable,
        generated: Boolean(generated),
      });
    }
    tables.set(member.name.getText(source), columns);
  }
  return tables;
}

describe('schema/database.ts', () => {
  it('declares exactly the tables and columns of schema.sql, with matching types and nullability', async () => {
    const catalog = await observe<{
      table_name: string;
      column_name: string;
      data_type: string;
      udt_name: string;
      is_nullable: 'YES' | 'NO';
      column_default: string | null;
    }>(
      db.url,
      `select table_name, column_name, data_type, udt_name, is_nullable, column_default
         from information_schema.columns
        where table_schema = 'public'
        order by table_name, ordinal_position`,
    );
    const declared = await declaredTables();
    const fromCatalog = new Map<string, Map<string, DeclaredColumn>>();
    for (const column of catalog) {
      const key = column.data_type === 'ARRAY' ? `ARRAY:${column.udt_name}` : column.data_type;
      const type = TS_TYPE_FOR[key];
      expect(
        type,
        `no TypeScript mapping for ${column.table_name}.${column.column_name} (${key})`,
      ).toBeDefined();
      const columns = fromCatalog.get(column.table_name) ?? new Map<string, DeclaredColumn>();
      columns.set(column.column_name, {
        type: type as string,
        nullable: column.is_nullable === 'YES',
        generated: column.column_default?.startsWith('nextval(') ?? false,
      });
      fromCatalog.set(column.table_name, columns);
    }
    expect(fromCatalog.size).toBe(3);
    expect(declared).toEqual(fromCatalog);
  });
});
