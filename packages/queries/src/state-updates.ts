import { QueryError } from './errors';
import { FVG_STATUSES, ZONE_STATUSES, type FvgStatus, type ZoneStatus } from './rows';
import { row, ROW, rowList, time, valuesList, type Values } from './row-values';
import { SqlParams } from './sql-params';
import type { SqlQuery, TimeInput } from './types';
import { integerInRange, nonEmptyString, nonNegativeNumber, oneOf } from './validate';

const MAX_INT32 = 2_147_483_647;

/** The columns of a stored gap that change as later prices fill it. */
export interface FvgFillRow {
  readonly id: string;
  /** 0..100. */
  readonly filledPct: number;
  readonly status: FvgStatus;
  readonly updatedAt: TimeInput;
}

/** The columns of a stored zone that change as later prices test or break it. */
export interface ZoneStateRow {
  readonly id: string;
  readonly status: ZoneStatus;
  readonly testCount: number;
  readonly updatedAt: TimeInput;
}

// An UPDATE joined to a VALUES list: one statement for any number of rows, and about half the
// cost of an INSERT OR REPLACE of the same rows (no conflict handling, unchanged columns kept).
function updateById(table: string, rows: readonly Values[], casts: Readonly<Record<string, string>>): SqlQuery {
  const params = new SqlParams();
  const columns = Object.keys(rows[0]);
  const set = columns.filter((c) => c !== 'id').map((c) => `${c} = changed.${c}`);
  const sql = `UPDATE ${table} SET ${set.join(', ')} FROM (VALUES ${valuesList(params, rows, casts)}) AS changed(${columns.join(', ')}) WHERE ${table}.id = changed.id`;
  return { sql, params: params.toArray() };
}

/**
 * Sets filled_pct, status and updated_at of stored gaps by id, in one statement; ids that are not
 * stored change nothing (the result's row count says how many were). Rows are checked as
 * insertFvgQuery checks them.
 */
export function updateFvgFillsQuery(rows: readonly FvgFillRow[]): SqlQuery {
  const values = rowList('fvg fill rows', rows).map((fill): Values => {
    const g = row('fvgFill', fill);
    const filledPct = nonNegativeNumber(ROW, 'fvgFill.filledPct', g.filledPct);
    if (filledPct > 100) throw new QueryError(ROW, `fvgFill.filledPct must be within 0..100; got ${filledPct}`);
    return {
      id: nonEmptyString(ROW, 'fvgFill.id', g.id),
      filled_pct: filledPct,
      status: oneOf(ROW, 'fvgFill.status', g.status, FVG_STATUSES),
      updated_at: time('fvgFill.updatedAt', g.updatedAt),
    };
  });
  return updateById('fair_value_gaps', values, { filled_pct: '::DOUBLE', status: '::VARCHAR', id: '::VARCHAR' });
}

/** Sets status, test_count and updated_at of stored zones by id, in one statement (as updateFvgFillsQuery). */
export function updateZoneStatesQuery(rows: readonly ZoneStateRow[]): SqlQuery {
  const values = rowList('zone state rows', rows).map((state): Values => {
    const z = row('zoneState', state);
    return {
      id: nonEmptyString(ROW, 'zoneState.id', z.id),
      status: oneOf(ROW, 'zoneState.status', z.status, ZONE_STATUSES),
      test_count: integerInRange(ROW, 'zoneState.testCount', z.testCount, 0, MAX_INT32),
      updated_at: time('zoneState.updatedAt', z.updatedAt),
    };
  });
  return updateById('supply_demand_zones', values, { test_count: '::INTEGER', status: '::VARCHAR', id: '::VARCHAR' });
}
