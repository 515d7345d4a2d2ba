import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(import.meta.dirname, '../../src');

/** Every .ts file under src/, relative to it (`connection/sa-connection.ts`). */
function sourceFiles(dir = SRC): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(SRC, path)] : [];
  });
}

/**
 * The src/ files `file` imports or re-exports from, type-only imports and `declare module`
 * augmentations included (a type-only cycle still ties two layers together).
 */
function importsOf(file: string, known: ReadonlySet<string>): string[] {
  const text = readFileSync(join(SRC, file), 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false);
  const targets: string[] = [];
  const visit = (node: ts.Node): void => {
    let specifier: ts.Expression | undefined;
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) specifier = node.moduleSpecifier;
    if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) specifier = node.argument.literal;
    if (specifier && ts.isStringLiteral(specifier) && specifier.text.startsWith('.')) {
      const target = relative(SRC, resolve(SRC, dirname(file), specifier.text)).replace(/\.js$/, '.ts');
      if (known.has(target)) targets.push(target);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return targets;
}

/** Strongly connected components of more than one file (or a file importing itself). */
function cycles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const connect = (file: string): void => {
    index.set(file, next);
    low.set(file, next);
    next++;
    stack.push(file);
    onStack.add(file);
    for (const target of graph.get(file) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(file, Math.min(low.get(file)!, low.get(target)!));
      } else if (onStack.has(target)) {
        low.set(file, Math.min(low.get(file)!, index.get(target)!));
      }
    }
    if (low.get(file) === index.get(file)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== file);
      if (component.length > 1 || graph.get(file)?.includes(file)) found.push(component.sort());
    }
  };
  for (const file of graph.keys()) if (!index.has(file)) connect(file);
  return found;
}

/**
 * The layers of src/, bottom up (README "Layout"): a file may import from its own layer and the
 * ones below it, never from above (type-only imports included). A lower layer that needs
 * something of a higher one declares a small interface the higher one implements.
 */
const LAYERS: readonly (readonly string[])[] = [
  ['sql', 'errors', 'diagnostics'],
  ['codecs'],
  ['protocol'],
  ['result'],
  ['transaction'],
  ['notify'],
  ['connection'],
  ['dialect'],
  ['engine'],
  ['session'],
  ['repository'],
  ['middleware'],
  ['index.ts'],
];

function layerOf(file: string): number {
  const top = file.split('/')[0] as string;
  const layer = LAYERS.findIndex((names) => names.includes(top));
  if (layer < 0) throw new Error(`src/${top} is in no layer: add it to LAYERS`);
  return layer;
}

const files = sourceFiles();
const known = new Set(files);
const graph = new Map(files.map((file) => [file, importsOf(file, known)] as const));

describe('the import graph of src/', () => {
  it('finds the files and their imports (the check below is not vacuous)', () => {
    expect(files.length).toBeGreaterThan(50);
    expect(graph.get('index.ts')?.length).toBeGreaterThan(10);
  });

  it('detects a cycle when there is one', () => {
    expect(cycles(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([
      ['a', 'b', 'c'],
    ]);
  });

  it('has no import cycle, type-only imports included', () => {
    expect(cycles(graph)).toEqual([]);
  });

  it('imports only from the same layer or the ones below it', () => {
    const upward = [...graph].flatMap(([file, targets]) =>
      targets.filter((target) => layerOf(target) > layerOf(file)).map((target) => `${file} -> ${target}`),
    );
    expect(upward).toEqual([]);
  });
});

describe("pg's private fields", () => {
  it('are named in src/protocol/pg-internals.ts only (the one seam to pg, checked by its own test)', () => {
    const privateField = /\b(parsedStatements|processID|readyForQuery|_ending|secretKey|submittedNamedStatements)\b/;
    const touching = files.filter((file) => privateField.test(readFileSync(join(SRC, file), 'utf8')));
    expect(touching).toEqual(['protocol/pg-internals.ts']);
  });
});
