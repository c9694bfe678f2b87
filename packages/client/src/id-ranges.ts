/**
 * A set of integer ids as sorted, disjoint [low, high] ranges. Exchange trade ids of one pair are
 * consecutive integers (Binance), so everything a client delivered is a handful of ranges however
 * long it runs, and a repeat from any time back is recognised exactly. Appending the next id (the
 * usual case) is O(1); an id in a hole is a binary search and an insert.
 */
export class IdRanges {
  private lows: number[] = [];
  private highs: number[] = [];

  constructor(private readonly maxRanges: number) {}

  get ranges(): number {
    return this.lows.length;
  }

  /** Adds the id; false if it was already in the set. */
  add(id: number): boolean {
    const n = this.lows.length;
    if (n === 0 || id > this.highs[n - 1] + 1) {
      this.lows.push(id);
      this.highs.push(id);
      this.bound();
      return true;
    }
    if (id === this.highs[n - 1] + 1) {
      this.highs[n - 1] = id;
      return true;
    }
    // Last range with low <= id.
    let lo = 0;
    let hi = n - 1;
    let at = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lows[mid] <= id) {
        at = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (at >= 0 && id <= this.highs[at]) return false;
    const joinsLeft = at >= 0 && this.highs[at] === id - 1;
    const joinsRight = at + 1 < n && this.lows[at + 1] === id + 1;
    if (joinsLeft && joinsRight) {
      this.highs[at] = this.highs[at + 1];
      this.lows.splice(at + 1, 1);
      this.highs.splice(at + 1, 1);
    } else if (joinsLeft) this.highs[at] = id;
    else if (joinsRight) this.lows[at + 1] = id;
    else {
      this.lows.splice(at + 1, 0, id);
      this.highs.splice(at + 1, 0, id);
      this.bound();
    }
    return true;
  }

  /** Too many holes: forget the oldest (lowest) ranges. */
  private bound(): void {
    const extra = this.lows.length - this.maxRanges;
    if (extra <= 0) return;
    this.lows.splice(0, extra);
    this.highs.splice(0, extra);
  }
}
