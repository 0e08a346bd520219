// The README is read on npm's page, away from the repository: every link must work from there, and
// the repository's own commands must stay in it (issue 11).
import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  repository: { url: string };
  homepage: string;
};
const REPO = 'https://github.com/wasm-autoencoder/wasm-autoencoder';
const RAW = 'https://raw.githubusercontent.com/wasm-autoencoder/wasm-autoencoder/main/';

/** Every markdown link and image target outside code blocks. */
function targets(markdown: string): string[] {
  const prose = markdown.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function anchor(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^\p{L}\p{N} -]/gu, '')
    .replace(/ /g, '-');
}

describe('README for the npm page', () => {
  it('package.json points at the repository the links use', () => {
    expect(pkg.repository.url).toBe(`git+${REPO}.git`);
    expect(pkg.homepage).toBe(`${REPO}#readme`);
  });

  it('every link is absolute or an anchor of a heading, and every file it names exists here', () => {
    const found = targets(readme);
    expect(found.length).toBeGreaterThan(10);
    const anchors = new Set([...readme.matchAll(/^#{1,4} (.+)$/gm)].map((m) => anchor(m[1])));
    for (const target of found) {
      if (target.startsWith('#')) {
        expect(anchors, target).toContain(target.slice(1));
      } else if (target.startsWith(`${REPO}/blob/main/`)) {
        expect(existsSync(join(ROOT, target.slice(`${REPO}/blob/main/`.length).replace(/#.*$/, ''))), target).toBe(
          true,
        );
      } else if (target.startsWith(RAW)) {
        expect(existsSync(join(ROOT, target.slice(RAW.length))), target).toBe(true);
      } else {
        expect(target, 'a link that works from npm').toMatch(/^https:\/\//);
      }
    }
  });

  it('install and the first example come first; the repository commands stay, verbatim, under Develop', () => {
    const headings = [...readme.matchAll(/^## (.+)$/gm)].map((m) => m[1]);
    expect(headings.slice(0, 2)).toEqual(['Install', 'Quick start']);
    const develop = readme.slice(readme.indexOf('\n## Develop\n'));
    expect(develop).toContain('npm ci && npm start');
    expect(develop).toContain('npm ci && npm test');
  });

  it('states speeds only as ratios', () => {
    expect(readme).not.toMatch(/[0-9][0-9,.]*k? (samples|images)\/s/);
  });
});
