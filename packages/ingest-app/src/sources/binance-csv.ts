import { IngestError } from '../errors';
import { decimalTextValue } from '../feeds/decimal-text';
import type { TradeCheck } from '../feeds/validate-trade';
import { checkTrade } from '../feeds/validate-trade';
import { MAX_LINE_LENGTH, type LineOutcome, type TradeLineParser } from './trade-line-parser';

/**
 * Binance public-data trade files (data.binance.vision and our realdata recordings), one row at a
 * time. Layouts handled:
 *
 * | layout    | columns                                                                              |
 * |-----------|--------------------------------------------------------------------------------------|
 * | trades    | id,price,qty,quote_qty,time,is_buyer_maker[,is_best_match]   (USD-M: 6, spot: 7)     |
 * | trades    | trade_id,price,qty,time,is_buyer_maker[,type]                (realdata recordings)   |
 * | aggTrades | agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker[,is_best_match] |
 *
 * A header is used when present; otherwise the first data row's column count and where its
 * booleans sit tell the layouts apart (the explicit `layout` option settles the rest).
 */
export type BinanceCsvLayout = 'trades' | 'aggTrades';

export interface BinanceCsvOptions {
  /** Needed only for headerless files whose columns could be either layout; checked against a header. */
  readonly layout?: BinanceCsvLayout;
}

export interface CsvPair {
  readonly exchange: string;
  readonly marketType: string;
  readonly symbol: string;
}

/** Where the fields of one layout sit; `type` is -1 when the file has no trade-type column. */
interface Columns {
  readonly layout: BinanceCsvLayout;
  readonly count: number;
  readonly id: number;
  readonly price: number;
  readonly qty: number;
  readonly time: number;
  readonly isBuyerMaker: number;
  readonly type: number;
}

/** Epoch values above this are microseconds (1e14 ms is the year 5138; 1e14 µs is 1973). */
const MICROSECOND_THRESHOLD = 1e14;

const RECORDED = (count: 5 | 6): Columns => ({ layout: 'trades', count, id: 0, price: 1, qty: 2, time: 3, isBuyerMaker: 4, type: count === 6 ? 5 : -1 });
const PUBLIC_TRADES = (count: 6 | 7): Columns => ({ layout: 'trades', count, id: 0, price: 1, qty: 2, time: 4, isBuyerMaker: 5, type: -1 });
const AGG_TRADES = (count: 7 | 8): Columns => ({ layout: 'aggTrades', count, id: 0, price: 1, qty: 2, time: 5, isBuyerMaker: 6, type: -1 });

type ColumnKey = 'id' | 'price' | 'qty' | 'time' | 'isBuyerMaker' | 'type';
const HEADER_NAMES: ReadonlyMap<string, ColumnKey> = new Map<string, ColumnKey>([
  ['id', 'id'],
  ['trade_id', 'id'],
  ['agg_trade_id', 'id'],
  ['price', 'price'],
  ['qty', 'qty'],
  ['quantity', 'qty'],
  ['time', 'time'],
  ['transact_time', 'time'],
  ['timestamp', 'time'],
  ['is_buyer_maker', 'isBuyerMaker'],
  ['type', 'type'],
]);
/** Columns that only aggTrades files have. */
const AGG_ONLY = new Set(['agg_trade_id', 'first_trade_id', 'last_trade_id', 'transact_time']);

/** Binance writes `true`/`false`; some older spot dumps wrote Python's `True`/`False`. */
export function parseCsvBool(field: string | undefined): boolean | undefined {
  if (field === 'true') return true;
  if (field === 'false') return false;
  if (field === undefined) return undefined;
  const text = field.trim().toLowerCase();
  return text === 'true' ? true : text === 'false' ? false : undefined;
}

/** A numeric field as checkTrade reads text: decimal notation only (`0x10` is not 16, blank is not 0). */
function numberField(field: string): number {
  return decimalTextValue(field);
}

/** Epoch milliseconds from a ms or µs field; µs keep their precision as the fraction. */
export function binanceTimeToMillis(field: string): number {
  const value = numberField(field);
  return value > MICROSECOND_THRESHOLD ? value / 1000 : value;
}

function normalizeName(name: string): string {
  return name.trim().toLowerCase().replace(/\s+/g, '_');
}

function isHeader(fields: readonly string[]): boolean {
  return fields.some((f) => normalizeName(f) === 'price') && !/^\s*-?\d/.test(fields[0]);
}

function columnsFromHeader(fields: readonly string[], wanted: BinanceCsvLayout | undefined): Columns {
  const names = fields.map(normalizeName);
  const index: Partial<Record<ColumnKey, number>> = {};
  names.forEach((name, i) => {
    const key = HEADER_NAMES.get(name);
    if (key !== undefined && index[key] === undefined) index[key] = i;
  });
  const layout: BinanceCsvLayout = names.some((n) => AGG_ONLY.has(n)) ? 'aggTrades' : 'trades';
  if (wanted !== undefined && wanted !== layout) {
    throw new IngestError('INVALID_CONFIG', `file header (${names.join(',')}) is a Binance ${layout} file, not ${wanted}`, 'format');
  }
  const missing = (['id', 'price', 'qty', 'time', 'isBuyerMaker'] as const).filter((k) => index[k] === undefined);
  if (missing.length > 0) {
    throw new IngestError('INVALID_CONFIG', `Binance CSV header (${names.join(',')}) lacks ${missing.join(', ')}`, 'format');
  }
  return {
    layout,
    count: names.length,
    id: index.id as number,
    price: index.price as number,
    qty: index.qty as number,
    time: index.time as number,
    isBuyerMaker: index.isBuyerMaker as number,
    type: index.type ?? -1,
  };
}

/** Headerless: the column count plus which columns hold booleans identify every known layout. */
function columnsFromRow(fields: readonly string[], wanted: BinanceCsvLayout | undefined): Columns | undefined {
  const n = fields.length;
  const bool = (i: number): boolean => parseCsvBool(fields[i]) !== undefined;
  if (wanted !== 'aggTrades') {
    if (n === 5 && bool(4)) return RECORDED(5);
    if (n === 6 && bool(5) && !bool(4)) return PUBLIC_TRADES(6);
    if (n === 6 && bool(4)) return RECORDED(6);
    if (n === 7 && bool(5) && bool(6)) return PUBLIC_TRADES(7);
  }
  if (wanted !== 'trades') {
    if (n === 7 && bool(6) && !bool(5)) return AGG_TRADES(7);
    if (n === 8 && bool(6)) return AGG_TRADES(8);
  }
  return undefined;
}

function outcome(check: TradeCheck): LineOutcome {
  return check.ok ? check.trade : check.reason;
}

/** Parses the lines of one Binance CSV file in order (the first line may be a header). */
export class BinanceCsvParser implements TradeLineParser {
  private columns: Columns | undefined;
  private firstLine = true;

  constructor(
    private readonly pair: CsvPair,
    private readonly options: BinanceCsvOptions = {},
  ) {}

  /** The layout in use, once the header or first data row has been seen. */
  get layout(): BinanceCsvLayout | undefined {
    return this.columns?.layout;
  }

  parse(line: string, receivedAt: number, now: number): LineOutcome {
    if (line.length > MAX_LINE_LENGTH) return 'oversized';
    if (this.firstLine && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
    if (line.length === 0 || line.trim().length === 0) return 'skip';
    const fields = line.split(',');
    if (this.firstLine) {
      this.firstLine = false;
      if (isHeader(fields)) {
        this.columns = columnsFromHeader(fields, this.options.layout);
        return 'skip';
      }
    }
    let columns = this.columns;
    if (columns === undefined) {
      // An unrecognisable first row is a bad row; the next one gets its chance to set the layout.
      columns = columnsFromRow(fields, this.options.layout);
      if (columns === undefined) return 'unexpected_message';
      this.columns = columns;
    }
    if (fields.length < columns.count) return 'missing_field';
    if (fields.length > columns.count) return 'unexpected_message';
    // Binance klines count MARKET trades only; insurance-fund and ADL rows are real but not trades.
    if (columns.type >= 0 && fields[columns.type].trim() !== 'MARKET') return 'non_market_trade';
    const buyerIsMaker = parseCsvBool(fields[columns.isBuyerMaker]);
    return outcome(
      checkTrade(
        this.pair,
        {
          tradeId: fields[columns.id].trim(),
          price: numberField(fields[columns.price]),
          volume: numberField(fields[columns.qty]),
          // The taker is the side that is not the maker: buyer maker -> an aggressive sell.
          side: buyerIsMaker === undefined ? '' : buyerIsMaker ? 'SELL' : 'BUY',
          timestamp: binanceTimeToMillis(fields[columns.time]),
        },
        receivedAt,
        now,
      ),
    );
  }
}
