import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { listContext, packContext } from '../../../src/core/docker/buildContext';
import { PatternMatcher, patternsForBuild, readDockerignore } from '../../../src/core/docker/dockerignore';

const temp = mkdtempSync(join(tmpdir(), 'mlops-dockerignore-'));
after(() => rmSync(temp, { recursive: true, force: true }));

function context(name: string, files: Record<string, string>): string {
  const root = join(temp, name);
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), text);
  }
  return root;
}

describe('.dockerignore patterns', () => {
  test('reading: comments, blanks, BOM, leading slash, cleaning, negation', () => {
    assert.deepEqual(readDockerignore('\uFEFF# c\n\n  /a/b/  \n! ./c//d\n #not comment\n*.log\r\n'), [
      'a/b',
      '!c/d',
      '#not comment',
      '*.log',
    ]);
  });

  test('last match wins, negation re-includes', () => {
    const m = new PatternMatcher(['*.md', '!README.md']);
    assert.equal(m.matches('CHANGES.md'), true);
    assert.equal(m.matches('README.md'), false);
    assert.equal(m.matches('docs/x.md'), false, '* never crosses a folder');
  });

  test('** spans any number of folders, including none', () => {
    const m = new PatternMatcher(['**/*.tmp', 'a/**/z']);
    assert.equal(m.matches('x.tmp'), true);
    assert.equal(m.matches('p/q/r/x.tmp'), true);
    assert.equal(m.matches('a/z'), true);
    assert.equal(m.matches('a/b/c/z'), true);
    assert.equal(m.matches('b/z'), false);
  });

  test('a pattern matching a parent folder of the same depth excludes what is inside', () => {
    const m = new PatternMatcher(['data', 'logs/*']);
    assert.equal(m.matches('data/raw/x.csv'), true);
    assert.equal(m.matches('sub/data/x.csv'), false, 'a bare name only matches at the root');
    assert.equal(m.matches('logs/today/x'), true);
  });

  test('an excluded folder is entered only when a ! pattern names something below it', () => {
    const m = new PatternMatcher(['data', '!data/raw/keep.csv', 'cache/**', '!cache/**/*.json']);
    assert.equal(m.mustWalkExcludedDir('data'), true);
    assert.equal(m.mustWalkExcludedDir('data/raw'), true);
    assert.equal(m.mustWalkExcludedDir('cache/a'), false);
    assert.equal(new PatternMatcher(['data']).mustWalkExcludedDir('data'), false);
  });

  test('? and character classes stay inside one path part', () => {
    const m = new PatternMatcher(['file?.txt', 'v[0-9].bin']);
    assert.equal(m.matches('file1.txt'), true);
    assert.equal(m.matches('file/.txt'), false);
    assert.equal(m.matches('v7.bin'), true);
    assert.equal(m.matches('vx.bin'), false);
  });

  test('an excluded Dockerfile and .dockerignore are still sent (the engine reads, then drops them)', () => {
    assert.deepEqual(patternsForBuild(['*', '!src'], 'build/Dockerfile'), ['*', '!src', '!.dockerignore', '!build/Dockerfile']);
    assert.deepEqual(patternsForBuild(['*.log'], 'Dockerfile'), ['*.log']);
  });

  test('a lone "!" is refused', () => {
    assert.throws(() => new PatternMatcher(['!']), /illegal exclusion pattern/);
  });
});

describe('the packed build context', () => {
  test('lists files in the order docker walks them, skipping what is ignored', async () => {
    const root = context('order', {
      Dockerfile: 'FROM scratch\n',
      '.dockerignore': 'node_modules\n*.log\n!important.log\n',
      'b.txt': 'b',
      'a.txt': 'a',
      'B.txt': 'B',
      'x.log': 'x',
      'important.log': 'i',
      'node_modules/p/index.js': 'p',
      'src/main.py': 'm',
    });
    symlinkSync('a.txt', join(root, 'link'));
    assert.deepEqual(await listContext({ root, dockerfile: 'Dockerfile' }), [
      '.dockerignore',
      'B.txt',
      'Dockerfile',
      'a.txt',
      'b.txt',
      'important.log',
      'link',
      'src',
      'src/main.py',
    ]);
  });

  test('the tar stream is valid: headers, sizes, padding and long names', async () => {
    const longName = `${'deep/'.repeat(30)}file.txt`;
    const root = context('tar', { Dockerfile: 'FROM scratch\n', [longName]: 'hello tar\n' });
    const packed = packContext({ root, dockerfile: 'Dockerfile' });
    const chunks: Buffer[] = [];
    for await (const chunk of packed.stream) chunks.push(chunk as Buffer);
    const tar = Buffer.concat(chunks);
    assert.equal(tar.length % 512, 0);
    const summary = await packed.done;
    assert.equal(summary.files, 2);
    const names: string[] = [];
    let offset = 0;
    let pax: string | undefined;
    while (offset + 512 <= tar.length) {
      const block = tar.subarray(offset, offset + 512);
      if (block.every((b) => b === 0)) break;
      const name = block.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const size = parseInt(block.subarray(124, 136).toString('latin1').replace(/\0.*$/s, ''), 8);
      const type = String.fromCharCode(block[156] as number);
      let sum = 0;
      for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 32 : (block[i] as number);
      assert.equal(parseInt(block.subarray(148, 154).toString('latin1'), 8), sum, `checksum of ${name}`);
      const body = tar.subarray(offset + 512, offset + 512 + size);
      if (type === 'x') pax = /\d+ path=(.*)\n/.exec(body.toString('utf8'))?.[1];
      else {
        names.push(pax ?? name);
        pax = undefined;
        if (names.at(-1) === longName) assert.equal(body.toString('utf8'), 'hello tar\n');
      }
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    assert.ok(names.includes(longName));
    assert.ok(names.includes('Dockerfile'));
  });
});
