import type { StoredZone } from '@market-data/queries';
import { perConnection } from './per-connection';
import { zoneRow, type ZoneState } from './supply-demand-zones';

/**
 * The zones as a connection's last committed pass left them, so the next pass need not read the
 * table back (0.67 ms of CPU per pass at 256MB: docs/benchmarks.md, Analytics). As for GapMemory:
 * only passes write zones, each in its own transaction, and the columns are DOUBLEs and
 * whole-millisecond timestamps, so the rows kept are what the table would return. Retention (the
 * zone cap) forgets them; a pass that rolled back changes nothing here, which is still what the
 * table holds (keep runs only after a commit).
 */
export class ZoneMemory {
  private kept: readonly StoredZone[] | undefined;

  /** The connection's own ZoneMemory. */
  static readonly of = perConnection(() => new ZoneMemory());

  /** Every stored zone (as getZonesQuery returns them), or undefined when not kept. */
  rows(): readonly StoredZone[] | undefined {
    return this.kept;
  }

  /** After a committed pass: every zone the table now holds. */
  keep(zones: Iterable<ZoneState>): void {
    const rows: StoredZone[] = [];
    for (const z of zones) rows.push({ ...zoneRow(z), createdAt: new Date(z.createdAtMs), updatedAt: new Date(z.updatedAtMs) });
    this.kept = rows;
  }

  forget(): void {
    this.kept = undefined;
  }
}
