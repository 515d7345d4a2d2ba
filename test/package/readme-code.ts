import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The repository root (where package.json and README.md are). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * The first code block in `language` (```ts by default) of the README section titled `heading`
 * (a `## ` heading), as written; with `containing`, the first one that contains that text.
 *
 * @throws Error when the section or its code block is missing, so a renamed section fails the
 *   test instead of silently testing nothing.
 */
export function readmeCodeBlock(heading: string, language = 'ts', containing?: string): string {
  const readme = readFileSync(new URL('README.md', `file://${REPO_ROOT}`), 'utf8');
  const start = readme.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README has no section "## ${heading}"`);
  const nextSection = readme.indexOf('\n## ', start + 1);
  const section = readme.slice(start, nextSection < 0 ? undefined : nextSection);
  const blocks = [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\\n\`\`\``, 'g'))];
  const block = blocks.find((match) => containing === undefined || match[1]?.includes(containing));
  if (block?.[1] === undefined) {
    const which = containing === undefined ? '' : ` containing ${JSON.stringify(containing)}`;
    throw new Error(`README section "${heading}" has no ${language} code block${which}`);
  }
  return `${block[1]}\n`;
}
