import { sumMetricText } from './metric-sum';

// The text as prom-client writes it for the apps' /metrics.
const TEXT = [
  '# HELP ingest_trades_stored_total Trades committed to pair files.',
  '# TYPE ingest_trades_stored_total counter',
  'ingest_trades_stored_total{pair="binance:spot:BTCUSDT"} 1200',
  'ingest_trades_stored_total{pair="binance:spot:ETHUSDT"} 34',
  'ingest_trades_stored_total_extra 99',
  '# TYPE ingest_trades_rejected_total counter',
  'ingest_trades_rejected_total{pair="binance:spot:BTCUSDT",reason="bad_price"} 3',
  'ingest_trades_rejected_total{pair="binance:spot:ETHUSDT",reason="bad_price"} 4',
  'ingest_trades_rejected_total{pair="binance:spot:ETHUSDT",reason="future_time"} 5',
  'ingest_odd_label_total{note="a \\"quoted\\", comma"} 7',
  '# TYPE process_resident_memory_bytes gauge',
  'process_resident_memory_bytes 123456789',
  '# TYPE ingest_batch_commit_seconds histogram',
  'ingest_batch_commit_seconds_bucket{le="0.005"} 10',
  'ingest_batch_commit_seconds_sum 0.25',
  'ingest_batch_commit_seconds_count 12',
  '',
].join('\n');

describe('sumMetricText', () => {
  it('sums every series of a metric, and only that metric', () => {
    expect(sumMetricText(TEXT, 'ingest_trades_stored_total')).toBe(1234);
    expect(sumMetricText(TEXT, 'process_resident_memory_bytes')).toBe(123456789);
    expect(sumMetricText(TEXT, 'ingest_batch_commit_seconds')).toBe(0);
    expect(sumMetricText(TEXT, 'ingest_batch_commit_seconds_count')).toBe(12);
  });

  it('keeps the series whose labels include every label asked for', () => {
    expect(sumMetricText(TEXT, 'ingest_trades_stored_total', { pair: 'binance:spot:ETHUSDT' })).toBe(34);
    expect(sumMetricText(TEXT, 'ingest_trades_rejected_total', { reason: 'bad_price' })).toBe(7);
    expect(sumMetricText(TEXT, 'ingest_trades_rejected_total', { pair: 'binance:spot:ETHUSDT', reason: 'future_time' })).toBe(5);
    expect(sumMetricText(TEXT, 'ingest_trades_rejected_total', { pair: 'binance:spot:SOLUSDT' })).toBe(0);
    expect(sumMetricText(TEXT, 'process_resident_memory_bytes', { pair: 'binance:spot:BTCUSDT' })).toBe(0);
    expect(sumMetricText(TEXT, 'ingest_odd_label_total', { note: 'a "quoted", comma' })).toBe(7);
  });
});
