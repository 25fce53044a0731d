import { readFileSync } from 'node:fs';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');

describe('the Redis Cluster guide', () => {
  it('shows the tested recipe exactly, importing from the package', () => {
    const guide = read('docs/redis-cluster.md');
    const marker = '<!-- snippet: file=redis-cluster-store.ts -->\n```ts\n';
    const start = guide.indexOf(marker);
    expect(start).toBeGreaterThan(-1);
    const shown = guide.slice(start + marker.length, guide.indexOf('```', start + marker.length));
    const tested = read('docs/examples/redis-cluster-store.ts').replace(
      "'../../src/index.js'",
      "'nest-aura-session'",
    );
    expect(shown).toBe(tested);
  });
});
