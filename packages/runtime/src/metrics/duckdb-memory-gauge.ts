import { Gauge, type Registry } from 'prom-client';

/** One line of DuckDB's duckdb_memory() (the pool's DuckDBMemoryTag; runtime imports no library). */
export interface MemoryTag {
  readonly tag: string;
  readonly bytes: number;
}

/**
 * A gauge of DuckDB's own count of its memory, by tag, read from `source` on each scrape. With
 * RSS and the JS heap it says where an app's memory is: table data under memory_limit, or not.
 * Until readFrom is called, and when a read fails (files closing), the gauge keeps what it had.
 */
export class DuckdbMemoryGauge {
  private source: (() => Promise<readonly MemoryTag[]>) | undefined;
  readonly gauge: Gauge<'tag'>;

  constructor(registry: Registry, name: string) {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- prom-client calls collect with the gauge as `this`.
    const self = this;
    this.gauge = new Gauge({
      name,
      help: "DuckDB's own count of the memory its instances hold, by tag (duckdb_memory()): with RSS and the JS heap it says where the process's memory is.",
      labelNames: ['tag'],
      registers: [registry],
      async collect() {
        if (self.source === undefined) return;
        const tags = await self.source().catch(() => undefined);
        if (tags === undefined) return;
        this.reset();
        for (const { tag, bytes } of tags) this.set({ tag }, bytes);
      },
    });
  }

  readFrom(source: () => Promise<readonly MemoryTag[]>): void {
    this.source = source;
  }
}
