import { KeyedQueue } from '../../src/core/keyed-queue.js';

/** A task that records when it runs and settles only when told to. */
function controllable<T>(log: string[], name: string) {
  let settle!: { resolve: (value: T) => void; reject: (error: unknown) => void };
  const task = () => {
    log.push(`start ${name}`);
    return new Promise<T>((resolve, reject) => {
      settle = { resolve, reject };
    }).finally(() => log.push(`end ${name}`));
  };
  return { task, settle: () => settle };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedQueue', () => {
  it('runs the tasks of one key one at a time, in order', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const a = controllable<string>(log, 'a');
    const b = controllable<string>(log, 'b');
    const c = controllable<string>(log, 'c');
    const results = [queue.run('k', a.task), queue.run('k', b.task), queue.run('k', c.task)];
    await tick();
    expect(log).toEqual(['start a']);
    a.settle().resolve('A');
    await tick();
    expect(log).toEqual(['start a', 'end a', 'start b']);
    b.settle().resolve('B');
    await tick();
    c.settle().resolve('C');
    expect(await Promise.all(results)).toEqual(['A', 'B', 'C']);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b', 'start c', 'end c']);
  });

  it('runs the tasks of different keys at the same time', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const a = controllable<number>(log, 'a');
    const b = controllable<number>(log, 'b');
    const results = [queue.run('one', a.task), queue.run('two', b.task)];
    await tick();
    expect(log).toEqual(['start a', 'start b']);
    b.settle().resolve(2);
    a.settle().resolve(1);
    expect(await Promise.all(results)).toEqual([1, 2]);
  });

  it('passes a failure to its caller only, and runs the next task anyway', async () => {
    const queue = new KeyedQueue();
    const failing = queue.run('k', async () => {
      throw new Error('store down');
    });
    const next = queue.run('k', async () => 'ran');
    await expect(failing).rejects.toThrow('store down');
    await expect(next).resolves.toBe('ran');
  });

  it('runs the next task after one that throws synchronously', async () => {
    const queue = new KeyedQueue();
    const failing = queue.run('k', () => {
      throw new Error('sync');
    });
    await expect(failing).rejects.toThrow('sync');
    await expect(queue.run('k', async () => 'ran')).resolves.toBe('ran');
  });

  it('forgets a key once its last task settled', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const a = controllable<void>(log, 'a');
    const done = queue.run('k', a.task);
    const other = queue.run('other', async () => undefined);
    const failed = queue.run('failing', async () => {
      throw new Error('x');
    });
    expect(queue.size).toBe(3);
    await other;
    await failed.catch(() => undefined);
    await tick();
    expect(queue.size).toBe(1);
    a.settle().resolve();
    await done;
    await tick();
    expect(queue.size).toBe(0);
  });

  it('keeps a key while a later task is queued behind a finished one', async () => {
    const queue = new KeyedQueue();
    const log: string[] = [];
    const a = controllable<void>(log, 'a');
    const b = controllable<void>(log, 'b');
    const first = queue.run('k', a.task);
    const second = queue.run('k', b.task);
    await tick();
    a.settle().resolve();
    await first;
    await tick();
    expect(queue.size).toBe(1);
    b.settle().resolve();
    await second;
    await tick();
    expect(queue.size).toBe(0);
  });
});
