/**
 * Default rows per price: R is about price / ROW_SIZE_DIVISOR, i.e. 2 bp rows. At 5 bp (2000) a
 * 15-minute profile of a calm minute or two had one to three rows, so POC, VAL and VAH were one
 * price on every pair of the synthetic market (issue 13.6); 2 bp gives BTC at 61,800 rows of 10,
 * about 25 rows over a typical 15 minutes of real BTC futures trading.
 */
export const ROW_SIZE_DIVISOR = 5000;

const MANTISSAS = [1, 2, 2.5, 5] as const;

// 10^k as written, so that 2.5 * 10^-2 is the double nearest 0.025 (2.5 * 0.01 is not).
function scaled(mantissa: number, exponent: number): number {
  return exponent >= 0 ? mantissa * 10 ** exponent : mantissa / 10 ** -exponent;
}

/**
 * The default market-profile row size for a price: the "nice" number m x 10^k (m in 1, 2, 2.5, 5)
 * nearest to price / 5000 by ratio (|log(R / target)|), the smaller one on a tie. BTC at 61,800
 * gives 10, ETH at 2,600 gives 0.5, a coin at 0.35 gives 0.00005. Round sizes keep row prices
 * readable and stable while the price drifts; the candle's close picks it, so it is a function of
 * the data alone.
 */
export function niceRowSize(price: number): number {
  const target = price / ROW_SIZE_DIVISOR;
  const exponent = Math.floor(Math.log10(target));
  let best = Number.NaN;
  let bestDistance = Infinity;
  for (let k = exponent - 1; k <= exponent + 1; k++) {
    for (const m of MANTISSAS) {
      const candidate = scaled(m, k);
      const distance = Math.abs(Math.log(candidate / target));
      // Candidates come in ascending order, so a strict < keeps the smaller one on a tie.
      if (distance < bestDistance) {
        best = candidate;
        bestDistance = distance;
      }
    }
  }
  return best;
}
