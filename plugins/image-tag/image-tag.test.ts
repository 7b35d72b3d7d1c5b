import { describe, expect, it } from 'vitest';
import type { CustomizeTarget, Json } from '../../core/contract.js';
import { deepFreeze } from '../../core/testing/index.js';
import plugin, { type ImageTagOptions } from './index.js';

const center: CustomizeTarget = { id: 'center', kind: 'center', labels: {} };
const deployment = (version?: string): Json =>
  deepFreeze({
    metadata: { labels: (version === undefined ? {} : { 'app.kubernetes.io/version': version }) as Record<string, string> },
    spec: { template: { spec: { containers: [{ name: 'web', image: 'registry:5000/shop/web:1.0@sha256:abc' }, { name: 'proxy', image: 'envoy' }] } } },
  });
const render = (object: Json, options: ImageTagOptions = {}) => plugin.customize(object, center, { options, chain: [], now: '2026-11-30T10:00:00Z', pattern: 'p' });
const images = (object: Json) => ((object as { spec: { template: { spec: { containers: { image: string }[] } } } }).spec.template.spec.containers).map((c) => c.image);

describe('image-tag', () => {
  it("sets every container's tag to the object's version label, keeping the registry port and dropping a digest", () => {
    expect(images(render(deployment('2.1.0')))).toEqual(['registry:5000/shop/web:2.1.0', 'envoy:2.1.0']);
  });

  it('takes the version option over the label, and retags only the containers named', () => {
    expect(images(render(deployment('2.1.0'), { version: '3.0.0', containers: ['web'] }))).toEqual(['registry:5000/shop/web:3.0.0', 'envoy']);
  });

  it('retags a bare pod and leaves an object without containers as it is', () => {
    expect(render({ spec: { containers: [{ name: 'c', image: 'a:1' }] } }, { version: '2' })).toEqual({ spec: { containers: [{ name: 'c', image: 'a:2' }] } });
    expect(render({ data: { k: 'v' } })).toEqual({ data: { k: 'v' } });
  });

  it('fails naming the version label when there is no version or it is not a tag', () => {
    expect(() => render(deployment())).toThrow('at metadata.labels["app.kubernetes.io/version"]: no version');
    expect(() => render(deployment('1.0/evil'))).toThrow(/is not a valid image tag/);
  });

  it('explains each retagged container', () => {
    expect(plugin.explain!(deployment('2'), center, { options: { containers: ['proxy'] }, chain: [], now: '', pattern: 'p' })).toEqual([
      { rule: 'container proxy', path: 'spec.template.spec.containers[1].image' },
    ]);
  });
});
