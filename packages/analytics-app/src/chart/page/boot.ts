// Loaded as a plain script in the page's head, before the chart's modules: it asks for the pair
// list, and for the data of the pair and timeframe in the address, while the browser is still
// fetching and compiling the library and the modules, instead of after them.
// (No imports or exports: a classic script, not a module.)

interface ChartBoot {
  readonly pairs: Promise<Response>;
  /** `pair timeframe` the early data request is for, or null. */
  readonly key: string | null;
  readonly data: Promise<Response> | null;
}

(() => {
  const query = new URLSearchParams(location.search);
  const pair = query.get('pair');
  const timeframe = query.get('timeframe') ?? '1m';
  const boot: ChartBoot = {
    pairs: fetch('../api/chart/pairs', { cache: 'no-store' }),
    key: pair === null ? null : `${pair} ${timeframe}`,
    data: pair === null ? null : fetch(`../api/chart/data?${new URLSearchParams({ pair, timeframe })}`, { cache: 'no-store' }),
  };
  // Unhandled until main.js takes them: keep a failed request from logging an unhandled rejection.
  boot.pairs.catch(() => undefined);
  boot.data?.catch(() => undefined);
  (window as unknown as { __chartBoot: ChartBoot }).__chartBoot = boot;
})();
