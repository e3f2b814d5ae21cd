// Runs async jobs one at a time, in order. Index writes and live-subscription
// snapshots share one queue, so a snapshot and the deltas after it never
// overlap or leave a gap.
export class SerialQueue {
  private tail: Promise<unknown> = Promise.resolve()

  run<T>(job: () => Promise<T>): Promise<T> {
    const result = this.tail.then(job)
    this.tail = result.catch(() => undefined)
    return result
  }
}
