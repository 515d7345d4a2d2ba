import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { REPO_ROOT } from './readme-code.js';

/** One ```ts block of an `@example` tag in src/. */
export interface JsdocExample {
  /** `src/…/file.ts:line` of the `@example` tag. */
  readonly where: string;
  readonly code: string;
}

/** Every `@example` ```ts block in src/, its comment stars stripped. */
export function jsdocExamples(): JsdocExample[] {
  const examples: JsdocExample[] = [];
  for (const file of sourceFiles(join(REPO_ROOT, 'src'))) {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/@example[^\n]*\n(?:[ \t]*\*[^\n]*\n)*?[ \t]*\*[ \t]*```ts\n([\s\S]*?)\n[ \t]*\*[ \t]*```/g)) {
      const line = text.slice(0, match.index).split('\n').length;
      const code = (match[1] ?? '')
        .split('\n')
        .map((row) => row.replace(/^[ \t]*\* ?/, ''))
        .join('\n');
      examples.push({ where: `${relative(REPO_ROOT, file)}:${line}`, code });
    }
  }
  return examples;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sourceFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/**
 * What an example may use without declaring it, as the reader of the docs assumes: an engine, a
 * connection, a session… typed with the repository's sample schema (schema/database.ts), plus
 * every export of `pgsa` and `kysely` (imported on use).
 */
const CONTEXT: Readonly<Record<string, string>> = {
  engine: 'declare const engine: Engine<Database>;',
  conn: 'declare const conn: SAConnection<Database>;',
  other: 'declare const other: SAConnection<Database>;',
  session: 'declare const session: Session<Database>;',
  db: 'declare const db: Kysely<Database>;',
  tx: 'declare const tx: Transaction;',
  stmt: 'declare const stmt: PreparedStatement<{ id: number; name: string | null }>;',
  result: 'declare const result: ResultProxy<{ id: number; name: string | null }>;',
  row: 'declare const row: RowProxy<{ id: number; name: string | null }>;',
  connectionString: 'declare const connectionString: string;',
  databaseUrl: 'declare const databaseUrl: string;',
  app: "declare const app: import('fastify').FastifyInstance;",
  supertest: "import supertest from 'supertest';",
  file: "declare const file: import('node:fs').WriteStream;",
  histogram: 'declare const histogram: { observe(value: number): void };',
  logger: 'declare const logger: { info(message: string, fields?: object): void; warn(message: string, fields?: object): void };',
  Database:
    "type Database = import('../../schema/database.js').Database & { orders: { id: Generated<number>; user_id: number; total: string }; accounts: { tenant: string; id: number; balance: number; version: number }; events: { id: Generated<number>; tags: unknown } };",
  // Libraries an example is about.
  express: "import express from 'express';",
  HttpError: 'type HttpError = Error & { status?: number | undefined };',
  Request: "import type { Request } from 'express';",
  Response: "import type { Response } from 'express';",
  NextFunction: "import type { NextFunction } from 'express';",
  Hono: "import { Hono } from 'hono';",
  createReadStream: "import { createReadStream } from 'node:fs';",
  expect: "import { expect } from 'vitest';",
  it: "import { it } from 'vitest';",
  beforeEach: "import { beforeEach } from 'vitest';",
  afterEach: "import { afterEach } from 'vitest';",
  // The application's own functions an example calls.
  out: "declare const out: import('node:stream').Writable;",
  work: 'declare function work(conn: SAConnection<Database>): Promise<void>;',
  log: 'declare function log(message: string): void;',
  request:
    'declare function request(app: unknown): { post(path: string): { send(body: object): Promise<{ status: number }> } };',
  handleOrder: 'declare function handleOrder(payload: string): Promise<void>;',
  reloadOrders: 'declare function reloadOrders(): Promise<void>;',
  resync: 'declare function resync(): Promise<void>;',
  renderLargeReport: 'declare function renderLargeReport(): Promise<string>;',
  insertAudit: 'declare function insertAudit(message: string): Promise<void>;',
  renameUser: 'declare function renameUser(id: number, name: string): Promise<void>;',
  registerUser: 'declare function registerUser(name: string): Promise<void>;',
  countUsers: 'declare function countUsers(): Promise<number>;',
  scheduleLater: 'declare function scheduleLater(task: () => Promise<void>): void;',
  MyGlitch: 'declare class MyGlitch extends Error {}',
};

/** Names a piece of code declares or imports itself (so the context must not add them). */
function declaredNames(code: string): Set<string> {
  const names = new Set<string>();
  for (const match of code.matchAll(/\b(?:const|let|var|using|function|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g)) {
    names.add(match[1] as string);
  }
  for (const match of code.matchAll(/\b(?:const|let|var|using)\s+[[{]([^=]*)[\]}]\s*=/g)) {
    for (const name of (match[1] as string).matchAll(/([A-Za-z_$][\w$]*)\s*(?:,|$|=)/g)) names.add(name[1] as string);
  }
  for (const match of code.matchAll(/\bimport\s+(?:type\s+)?([\s\S]*?)\s+from\s/g)) {
    for (const name of (match[1] as string).matchAll(/(?:\bas\s+)?([A-Za-z_$][\w$]*)\s*(?:,|}|$)/g)) names.add(name[1] as string);
  }
  return names;
}

/** Export names of a module, read with the checker (values and types). */
function exportNames(program: ts.Program, file: string): string[] {
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const symbol = source && checker.getSymbolAtLocation(source);
  return symbol ? checker.getExportsOfModule(symbol).map((s) => s.getName()) : [];
}

/** The source of one example as a module of its own, with the context it uses prepended. */
export function exampleModule(
  code: string,
  pgsaExports: readonly string[],
  kyselyExports: readonly string[],
  own: { readonly specifier: string; readonly exports: readonly string[] },
): string {
  const declared = declaredNames(code);
  const uses = (name: string): boolean => !declared.has(name) && new RegExp(`(?<![\\w$.])${name.replace('$', '\\$')}(?![\\w$])`).test(code);
  const prelude: string[] = [];
  const fromPgsa = new Set<string>();
  const fromKysely = new Set<string>();
  const fromOwn = new Set<string>();
  const need = (name: string): void => {
    if (declared.has(name) || fromPgsa.has(name) || fromKysely.has(name) || fromOwn.has(name)) return;
    if (pgsaExports.includes(name)) fromPgsa.add(name);
    else if (kyselyExports.includes(name)) fromKysely.add(name);
    // Internal helpers are documented where they are defined: the example imports them from there.
    else if (own.exports.includes(name)) fromOwn.add(name);
  };
  for (const [name, declaration] of Object.entries(CONTEXT)) {
    if (!uses(name)) continue;
    prelude.push(declaration);
    for (const word of declaration.matchAll(/\b[A-Z][\w$]*/g)) need(word[0]);
  }
  if (prelude.some((line) => line.includes('Database')) && !declared.has('Database') && !prelude.some((l) => l.startsWith('type Database'))) {
    prelude.push(CONTEXT.Database as string);
    need('Generated');
  }
  for (const name of [...pgsaExports, ...kyselyExports, ...own.exports]) if (uses(name)) need(name);
  const imports = [
    fromOwn.size > 0 ? `import { ${[...fromOwn].join(', ')} } from '${own.specifier}';` : '',
    fromPgsa.size > 0 ? `import { ${[...fromPgsa].join(', ')} } from 'pgsa';` : '',
    fromKysely.size > 0 ? `import { ${[...fromKysely].join(', ')} } from 'kysely';` : '',
  ];
  return [...imports, ...prelude, code, 'export {};', ''].join('\n');
}

/** Compiler options: the repository's, minus the module-syntax rules a snippet need not follow. */
function compilerOptions(): ts.CompilerOptions {
  const configPath = join(REPO_ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, REPO_ROOT);
  return {
    ...parsed.options,
    noEmit: true,
    verbatimModuleSyntax: false,
    isolatedModules: false,
    noUnusedLocals: false,
    noUnusedParameters: false,
    lib: ['lib.es2023.d.ts', 'lib.esnext.disposable.d.ts'],
  };
}

/** Type-checks every JSDoc example; returns one message per diagnostic, naming the example. */
export function checkJsdocExamples(examples: readonly JsdocExample[]): string[] {
  const options = compilerOptions();
  const dir = join(REPO_ROOT, 'test', '__jsdoc_examples__');
  const index = join(REPO_ROOT, 'src', 'index.ts');
  const probe = ts.createProgram([index, join(REPO_ROOT, 'node_modules/kysely/dist/esm/index.d.ts')], options);
  const pgsaExports = exportNames(probe, index);
  const kyselyExports = exportNames(probe, join(REPO_ROOT, 'node_modules/kysely/dist/esm/index.d.ts'));
  const owners = [...new Set(examples.map((example) => example.where.replace(/:\d+$/, '')))];
  const ownProgram = ts.createProgram(owners.map((file) => join(REPO_ROOT, file)), options);
  const ownExports = new Map(owners.map((file) => [file, exportNames(ownProgram, join(REPO_ROOT, file))]));

  const virtual = new Map<string, { example: JsdocExample; text: string }>();
  examples.forEach((example, i) => {
    const file = example.where.replace(/:\d+$/, '');
    const own = { specifier: `../../${file.replace(/\.ts$/, '.js')}`, exports: ownExports.get(file) ?? [] };
    virtual.set(join(dir, `example-${i}.ts`), { example, text: exampleModule(example.code, pgsaExports, kyselyExports, own) });
  });
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (path) => virtual.has(path) || fileExists.call(host, path);
  host.readFile = (path) => virtual.get(path)?.text ?? readFile.call(host, path);
  host.getSourceFile = (path, language, onError, shouldCreate) => {
    const entry = virtual.get(path);
    if (entry) return ts.createSourceFile(path, entry.text, language, true);
    return getSourceFile.call(host, path, language, onError, shouldCreate);
  };
  const program = ts.createProgram([...virtual.keys()], options, host, probe);
  const messages: string[] = [];
  for (const [path, { example, text }] of virtual) {
    const source = program.getSourceFile(path);
    if (!source) continue;
    const preludeLines = text.split('\n').length - example.code.split('\n').length - 2;
    for (const diagnostic of [...program.getSyntacticDiagnostics(source), ...program.getSemanticDiagnostics(source)]) {
      const line = diagnostic.start === undefined ? 0 : source.getLineAndCharacterOfPosition(diagnostic.start).line - preludeLines + 1;
      messages.push(`${example.where} (example line ${line}): ${ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n')}`);
    }
  }
  return messages;
}
