/** Latencies in milliseconds; percentiles by sorting once at the end. */
export class Latencies {
  private values: number[] = [];
  add(ms: number): void {
    this.values.push(ms);
  }
  get count(): number {
    return this.values.length;
  }
  summary() {
    const v = Float64Array.from(this.values).sort();
    const at = (p: number) => (v.length ? v[Math.min(v.length - 1, Math.floor((p / 100) * v.length))]! : NaN);
    return { p50: at(50), p90: at(90), p99: at(99), max: v.length ? v[v.length - 1]! : NaN };
  }
}
