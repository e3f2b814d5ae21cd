// Signal sessions of live subscriptions, shared: twenty wall screens asking
// for the same rule on the same runs cost one session. They follow the index
// together at the pipeline's refresh pace, fed with the batches since the last
// refresh instead of scanning every point.
import type { MetricBatch } from '../../ingest-watch/events.ts'
import type { RunIndex } from '../index/run-index.ts'
import { SignalSession, type Selection, type SignalUpdate } from './session.ts'
import { specKey, type SignalSpec } from './spec.ts'

interface Entry {
  session: Promise<SignalSession>
  users: number
}

/** What happened in the index since the sessions last followed it. */
export interface IndexChanges {
  runs: boolean
  batches: MetricBatch[]
}

export class SignalRegistry {
  private readonly entries = new Map<string, Entry>()
  private readonly live = new Set<SignalSession>()
  private since: IndexChanges = { runs: false, batches: [] }

  constructor(private readonly index: RunIndex) {}

  get active(): boolean {
    return this.entries.size > 0
  }

  /** Called after each applied batch, whatever it held; kept only while sessions exist. */
  noteChanges(runsChanged: boolean, batches: MetricBatch[]): void {
    if (this.entries.size === 0) return
    this.since.runs ||= runsChanged
    for (const b of batches) this.since.batches.push(b)
  }

  /** The session for this selection (`filterText` as the client wrote it) and request: shared, built once. */
  acquire(selection: Selection, filterText: string | undefined, spec: SignalSpec): { key: string; session: Promise<SignalSession> } {
    const key = JSON.stringify([selection.experimentIds ?? null, filterText ?? null, specKey(spec)])
    let entry = this.entries.get(key)
    if (!entry) {
      const session = SignalSession.open(this.index, selection, spec)
      entry = { session, users: 0 }
      this.entries.set(key, entry)
      session.then((s) => this.live.add(s)).catch(() => this.entries.delete(key))
    }
    entry.users++
    return { key, session: entry.session }
  }

  release(key: string): Promise<void> {
    const entry = this.entries.get(key)
    if (!entry || --entry.users > 0) return Promise.resolve()
    this.entries.delete(key)
    return entry.session.then((s) => {
      this.live.delete(s)
      return s.close()
    }).catch(() => undefined)
  }

  /** Every built session follows the changes noted since the last call; on the serial queue. */
  async update(): Promise<Map<SignalSession, SignalUpdate>> {
    const since = this.since
    const out = new Map<SignalSession, SignalUpdate>()
    if (!since.runs && since.batches.length === 0) return out
    this.since = { runs: false, batches: [] }
    for (const session of this.live) out.set(session, await session.update(since))
    return out
  }

  async close(): Promise<void> {
    for (const entry of this.entries.values()) entry.users = 1
    await Promise.all([...this.entries.keys()].map((key) => this.release(key)))
  }
}
