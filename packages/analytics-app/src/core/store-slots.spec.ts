import { StoreSlots } from './store-slots';

describe('StoreSlots', () => {
  it('grants at most size slots, then in arrival order with urgent waiters first', async () => {
    const slots = new StoreSlots(2);
    const order: string[] = [];
    const urgent = new Set<string>();
    const take = (name: string) =>
      slots.acquire(() => urgent.has(name)).then((release) => {
        order.push(name);
        return release;
      });
    const a = take('a');
    const b = take('b');
    const c = take('c');
    const d = take('d');
    const e = take('e');
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b']);
    // d became urgent while it waited: it goes before c and e.
    urgent.add('d');
    (await a)();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b', 'd']);
    const releaseB = await b;
    releaseB();
    releaseB(); // a second call gives back nothing more
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b', 'd', 'c']);
    (await d)();
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual(['a', 'b', 'd', 'c', 'e']);
    (await c)();
    (await e)();
  });
});
