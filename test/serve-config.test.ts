/** Serve configs: the examples load, and every mistake names the file, the key path and what was expected. */
import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { loadServeConfig } from '../server/config.js';

function configFile(text: string, name = 'node.yaml'): string {
  const file = join(mkdtempSync(join(tmpdir(), 'edgesum-config-')), name);
  writeFileSync(file, text);
  return file;
}

function refusal(file: string): ValidationError {
  try {
    loadServeConfig(file);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe(ErrorCodes.InvalidConfig);
    return error as ValidationError;
  }
  return expect.fail('the config was accepted');
}

describe('serve configs', () => {
  it('loads every example config with its topology, tokens and storage', () => {
    const single = loadServeConfig('examples/serve/single-node.yaml');
    expect(single.topology.destinations).toHaveLength(100);
    expect(single.tokens).toHaveLength(101);
    expect(single.storage).toMatchObject({ kind: 'sqlite' });
    for (const name of readdirSync('examples/serve/three-levels').filter((file) => file.endsWith('.yaml') && file !== 'topology.yaml')) {
      const config = loadServeConfig(join('examples/serve/three-levels', name));
      expect(config.topology.levels).toHaveLength(7);
      expect(config.parent === undefined).toBe(config.level === 'center');
    }
  });

  it('names the file, the key path and what was expected', () => {
    const error = refusal(configFile('level: center\ntopology: {levels: [{id: center, kind: center}], destinations: []}\nparent: {url: ftp://x, token: t}\n'));
    expect(error.message).toMatch(/node\.yaml: parent\.url: must be an http:\/\/ or https:\/\/ URL/);
    expect(refusal(configFile('level: center\ntopology: {levels: [{id: center, kind: center}], destinations: []}\nflushInterval: soon\n')).message).toMatch(/flushInterval: must be a duration/);
    expect(refusal(configFile('level: center\ntopology: {levels: [{id: center, kind: center}], destinations: []}\ntokens: [{name: a, sha256: abc, roles: [admin]}]\n')).message).toMatch(/tokens\[0\]\.sha256: must be the lower-case hex SHA-256/);
    expect(refusal(configFile('level: nowhere\ntopology: {levels: [{id: center, kind: center}], destinations: []}\n')).message).toMatch(/level: level "nowhere" is not in the topology/);
    expect(refusal(configFile('level: site\ntopology: {levels: [{id: center, kind: center}, {id: site, kind: site, parent: center}], destinations: []}\n')).message).toMatch(/parent: level "site" reports to "center"/);
    expect(refusal(configFile('level: center\ntopology: ./missing.yaml\n')).message).toMatch(/missing\.yaml: cannot be read \(ENOENT\)/);
    expect(refusal(configFile('level: center\nsurprise: 1\ntopology: {levels: [{id: center, kind: center}], destinations: []}\n')).message).toMatch(/surprise/);
  });

  it('refuses text that is not YAML, without quoting it, and documents that expand without bound', () => {
    const error = refusal(configFile('level: [center\nsecret: hunter2\n'));
    expect(error.message).toMatch(/is not valid YAML or JSON \(\w+ at line \d+, column \d+\)/);
    expect(error.message).not.toContain('hunter2');
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 12 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
    expect(refusal(configFile(bomb)).message).toMatch(/is not valid YAML or JSON/);
    expect(refusal('/dev/zero').message).toMatch(/is not a regular file/);
  });
});
