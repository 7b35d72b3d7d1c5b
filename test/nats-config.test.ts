/** Serve configs with `transport: nats`: what they need, and every mistake named with its key path. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCodes, ValidationError } from '../core/errors.js';
import { loadServeConfig } from '../server/config.js';
import { requireNatsServer } from './support/nats.js';

const topology = '{levels: [{id: center, kind: center}, {id: site-1, kind: site, parent: center}], destinations: []}';

const root = mkdtempSync(join(tmpdir(), 'edgesum-nats-config-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function load(text: string) {
  const dir = mkdtempSync(join(root, 'case-'));
  const file = join(dir, 'node.yaml');
  writeFileSync(file, `topology: ${topology}\n${text}`);
  return { file, dir, load: () => loadServeConfig(file) };
}

function refusal(text: string): string {
  const { load: run } = load(text);
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).code).toBe(ErrorCodes.InvalidConfig);
    return (error as ValidationError).message;
  }
  return expect.fail('the config was accepted');
}

describe('serve configs over NATS', () => {
  it('takes a site with only its leaf server and domains, no parent URL or token, and resolves the credentials file', () => {
    const site = load('level: site-1\ntransport: nats\nnats: {url: nats://127.0.0.1:4222, domain: leaf-1, parentDomain: hub, credentials: ./site.creds}\n');
    const config = site.load();
    expect(config.transport).toBe('nats');
    expect(config.parent).toBeUndefined();
    expect(config.nats).toMatchObject({ url: 'nats://127.0.0.1:4222', domain: 'leaf-1', parentDomain: 'hub', credentials: join(site.dir, 'site.creds'), timeout: 5_000 });
    expect(load('level: center\nnats: {url: [nats://a:4222, tls://b:4222], childDomains: {site-1: leaf-1}}\ntransport: nats\n').load().nats?.childDomains).toEqual({ 'site-1': 'leaf-1' });
    expect(load('level: center\n').load().transport).toBe('http');
  });

  it('loads the hub-and-leaves example, whose nats-server configs the server accepts', () => {
    const center = loadServeConfig('examples/nats/center.yaml');
    expect(center.nats).toMatchObject({ domain: 'hub', childDomains: { 'site-1': 'leaf-1', 'site-2': 'leaf-2' } });
    for (const site of ['site-1', 'site-2']) expect(loadServeConfig(`examples/nats/${site}.yaml`)).toMatchObject({ level: site, transport: 'nats', nats: { parentDomain: 'hub' } });
    requireNatsServer();
    for (const server of ['hub', 'leaf-1', 'leaf-2']) {
      const check = spawnSync(process.env.NATS_SERVER ?? 'nats-server', ['-c', `${server}.conf`, '-t'], { cwd: 'examples/nats', encoding: 'utf8', env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin` } });
      expect(check.stderr).toMatch(/is valid/);
    }
  });

  it('names the key path of every mistake', () => {
    expect(refusal('level: site-1\ntransport: nats\n')).toMatch(/node\.yaml: nats: is required with transport: nats/);
    expect(refusal('level: site-1\ntransport: pigeon\n')).toMatch(/node\.yaml: transport: /);
    expect(refusal('level: site-1\ntransport: nats\nnats: {url: http://127.0.0.1:4222}\n')).toMatch(/nats\.url: must be a nats:\/\/ or tls:\/\/ URL/);
    expect(refusal('level: site-1\ntransport: nats\nnats: {url: nats://h:1, domain: "leaf 1"}\n')).toMatch(/nats\.domain: must be 1 to 64 letters/);
    expect(refusal('level: center\ntransport: nats\nnats: {url: nats://h:1, childDomains: {site-9: leaf-9}}\n')).toMatch(/nats\.childDomains\.site-9: "site-9" is not a child level of "center"/);
    expect(refusal('level: site-1\ntransport: nats\nnats: {url: nats://h:1}\nparent: {url: http://p, token: t}\n')).toMatch(/parent: is for transport: http/);
    expect(refusal('level: site-1\ntransport: nats\nnats: {url: nats://h:1, user: me}\n')).toMatch(/nats\.password: user and password go together/);
    expect(refusal('level: center\nnats: {url: nats://h:1}\n')).toMatch(/nats: is used only with transport: nats/);
    expect(refusal('level: site-1\ntransport: nats\nnats: {url: nats://h:1, surprise: 1}\n')).toMatch(/surprise/);
  });
});
