'use strict';
// bench:analytics --series S: one line every S seconds of the live phase, so a long run shows
// whether memory, lag, pass time and files level off or keep growing (a 60 s window cannot).
const { getJson, readMetrics, rssMiB, pssMiB } = require('./analytics-processes');

/** Mean (ms) of a prom-client histogram between two readings. */
function meanMs(a, b) {
  const n = b.count - a.count;
  return n > 0 ? Math.round(((b.sum - a.sum) / n) * 1000 * 10) / 10 : null;
}

/**
 * Samples both apps every `seconds` until stopped: RSS and PSS of each, the lag p50/p99 of the
 * passes since the previous line (the app's /stats?since=), live pass and ingester
 * receipt -> commit means, the ingester's and the analytics app's files on disk, and DuckDB's
 * tagged memory. Each line is printed as it is taken and kept for the JSON result.
 */
function startSeries({ seconds, ingester, analytics, filesMiB, log = console.log }) {
  const lines = [];
  const t0 = Date.now();
  let prev;
  let busy = false;
  const take = async () => {
    if (busy) return;
    busy = true;
    try {
      const now = Date.now();
      const [ana, anaMetrics, ingMetrics] = await Promise.all([
        getJson(`${analytics.url}/stats${prev ? `?since=${prev.wall}` : ''}`),
        readMetrics(analytics.url),
        readMetrics(ingester.url),
      ]);
      const cur = { wall: now, pass: anaMetrics.histogram('analytics_pass_seconds'), receipt: ingMetrics.histogram('ingest_receipt_to_commit_seconds') };
      const tags = (m, app) => Math.round(Object.values(m.byLabel(`${app}_duckdb_memory_bytes`)).reduce((s, b) => s + b, 0) / 1048576);
      const line = {
        minute: Math.round(((now - t0) / 60_000) * 10) / 10,
        rssMiB: { ingest: Math.round(rssMiB(ingester.pid)), analytics: Math.round(rssMiB(analytics.pid)) },
        pssTogetherMiB: Math.round(pssMiB(ingester.pid) + pssMiB(analytics.pid)),
        duckdbMiB: { ingest: tags(ingMetrics, 'ingest'), analytics: tags(anaMetrics, 'analytics') },
        lagMs: prev ? { p50: ana.commitToRowMsSince?.p50 ?? null, p99: ana.commitToRowMsSince?.p99 ?? null } : null,
        passMeanMs: prev ? meanMs(prev.pass, cur.pass) : null,
        receiptToCommitMeanMs: prev ? meanMs(prev.receipt, cur.receipt) : null,
        filesMiB: filesMiB(),
      };
      lines.push(line);
      prev = cur;
      log(
        `  series ${String(line.minute).padStart(5)} min  RSS ingest ${line.rssMiB.ingest} analytics ${line.rssMiB.analytics}, PSS together ${line.pssTogetherMiB} MiB;` +
          ` DuckDB ${line.duckdbMiB.ingest} / ${line.duckdbMiB.analytics} MiB; lag p50/p99 ${line.lagMs ? `${line.lagMs.p50} / ${line.lagMs.p99}` : '-'} ms;` +
          ` pass mean ${line.passMeanMs ?? '-'} ms; receipt -> commit mean ${line.receiptToCommitMeanMs ?? '-'} ms; files ${line.filesMiB.trading} / ${line.filesMiB.analytics} MiB`,
      );
    } catch (error) {
      log(`  series: sample failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      busy = false;
    }
  };
  void take();
  const timer = setInterval(() => void take(), seconds * 1000);
  return { lines, stop: () => clearInterval(timer) };
}

module.exports = { startSeries };
