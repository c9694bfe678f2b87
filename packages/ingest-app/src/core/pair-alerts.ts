import type { Logger } from '@market-data/runtime';
import type { PairAlert, PairAlertKind } from '../feeds/feed';

/** What health shows of one alert. */
export interface ActiveAlert {
  readonly kind: PairAlertKind;
  readonly detail: string;
  /** How long ago it was raised. */
  readonly sinceMs: number;
  /** stale: how old the pair's newest trade is now. */
  readonly lastTradeAgeMs?: number;
}

export interface PairAlertsOptions {
  /** How long an event alert (id_reset, id_outlier) keeps its pair not ok in health. Default 15 min. */
  readonly eventHoldMs?: number;
}

interface Raised {
  readonly detail: string;
  readonly at: number;
  /** stale: the newest trade's age when raised. */
  readonly ageMs?: number;
}

const EVENT_HOLD_MS = 15 * 60_000;

/**
 * The feeds' pair alerts (stale streams, id resets and outliers): logged, counted per pair and
 * kind, and kept for health. A stale alert stays until the feed clears it; an event alert stays
 * `eventHoldMs`, long enough for an operator to see it.
 */
export class PairAlerts {
  private readonly raised = new Map<string, Map<PairAlertKind, Raised>>();
  private readonly eventHoldMs: number;

  constructor(
    private readonly deps: { readonly logger: Logger; readonly count: (pair: string, kind: PairAlertKind) => void; readonly now?: () => number },
    options: PairAlertsOptions = {},
  ) {
    this.eventHoldMs = options.eventHoldMs ?? EVENT_HOLD_MS;
  }

  report(pair: string, alert: PairAlert): void {
    const now = this.now();
    let kinds = this.raised.get(pair);
    if (!alert.active) {
      if (kinds?.delete(alert.kind)) this.deps.logger.info('pair alert cleared', { pair, kind: alert.kind, detail: alert.detail });
      return;
    }
    if (!kinds) this.raised.set(pair, (kinds = new Map()));
    kinds.set(alert.kind, { detail: alert.detail, at: now, ...(alert.ageMs === undefined ? {} : { ageMs: alert.ageMs }) });
    this.deps.count(pair, alert.kind);
    this.deps.logger.warn(alert.kind === 'stale' ? 'pair stream stale' : 'pair trade ids anomalous', { pair, kind: alert.kind, detail: alert.detail, ...(alert.ageMs === undefined ? {} : { ageMs: alert.ageMs }) });
  }

  /** The pair's alerts that still hold. */
  active(pair: string): ActiveAlert[] {
    const kinds = this.raised.get(pair);
    if (!kinds) return [];
    const now = this.now();
    const out: ActiveAlert[] = [];
    for (const [kind, r] of kinds) {
      if (kind !== 'stale' && now - r.at > this.eventHoldMs) {
        kinds.delete(kind);
        continue;
      }
      out.push({ kind, detail: r.detail, sinceMs: now - r.at, ...(r.ageMs === undefined ? {} : { lastTradeAgeMs: r.ageMs + (now - r.at) }) });
    }
    return out;
  }

  /** Pairs with a stale stream right now. */
  staleCount(): number {
    let n = 0;
    for (const kinds of this.raised.values()) if (kinds.has('stale')) n++;
    return n;
  }

  private now(): number {
    return (this.deps.now ?? Date.now)();
  }
}
