import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from './readme-code.js';

// The shipped declarations show the public API only: members marked `@internal` are stripped
// (tsconfig.build.json `stripInternal`), so `conn.query`, the first thing a pg user types, is
// not offered by the editor. (fresh-app.test.ts compiles an app against these declarations
// with `skipLibCheck: false`, which proves they are complete without them.)

function declarationsOf(file: string): string {
  return readFileSync(join(REPO_ROOT, 'dist', file), 'utf8');
}

/** Names declared as members of the class `name` in a .d.ts. */
function membersOf(declarations: string, name: string): string[] {
  const start = declarations.indexOf(`export declare class ${name}`);
  expect(start, `class ${name} declared`).toBeGreaterThanOrEqual(0);
  const body = declarations.slice(start, declarations.indexOf('\n}', start));
  return [...body.matchAll(/^ {4}(?:readonly |static |get |set |private |protected )*#?([\w$]+)[?<(:]/gm)].map(
    (match) => match[1] as string,
  );
}

describe('the shipped declarations', () => {
  it.each([
    ['connection/sa-connection.d.ts', 'SAConnection', ['query', 'exchange', 'hold', 'detach', 'cursorBatches', 'guardOpen', 'ownedBy', 'terminate', 'noteLost']],
    ['engine/engine.d.ts', 'Engine', ['queryAutocommit', 'releaseClient', 'bindKysely', 'options', 'shapes', 'secret', 'open']],
    ['session/session.d.ts', 'Session', ['query', 'cursorBatches', 'beginUnit', 'endUnit']],
  ] as const)('%s: %s shows none of its internal members', (file, name, internals) => {
    const members = membersOf(declarationsOf(file), name);
    expect(members.length).toBeGreaterThan(10);
    expect(members.filter((member) => (internals as readonly string[]).includes(member))).toEqual([]);
  });

  it('keep the public members (execute, transaction, stream …)', () => {
    const members = membersOf(declarationsOf('connection/sa-connection.d.ts'), 'SAConnection');
    expect(members).toEqual(expect.arrayContaining(['execute', 'scalar', 'begin', 'stream', 'close', 'fetch']));
  });
});
