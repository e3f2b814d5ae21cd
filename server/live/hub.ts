// Fan-out of index changes to WebSocket subscribers. A subscription's
// snapshot is taken on the same serial queue as index writes, so the deltas a
// client receives after `synced` continue the snapshot exactly.
import type { MetricBatch } from '../../ingest-watch/events.ts'
import type { ClientMessage, RunSummary, ServerMessage, SubscribeMessage } from '../../protocol/index.ts'
import { decodeCursor, toWire } from '../../protocol/index.ts'
import type { RunIndex } from '../index/run-index.ts'
import { mentions, parseFilter, type FilterAst } from '../query/filter-grammar.ts'
import { FilterSyntaxError } from '../query/filter-tokens.ts'
import { searchRuns } from '../query/search.ts'
import type { SerialQueue } from '../serial-queue.ts'
import { SignalRegistry } from '../signals/registry.ts'
import { NO_STOP, type SignalSession, type SignalUpdate } from '../signals/session.ts'
import { parseSignalSpec, SignalSpecError, type SignalSpec } from '../signals/spec.ts'

/** The part of a WebSocket the hub needs; `ws` sockets and test doubles fit. */
export interface LiveSocket {
  /** A Buffer is UTF-8 JSON text too (a points frame encoded once for every client). */
  send(text: string | Buffer): void
  readonly bufferedAmount: number
  close(code: number, reason: string): void
  /** Several messages at once, in order (one write instead of one per message). */
  sendMany?(messages: Buffer[]): void
  /** Holds writes back until uncork, so a publish costs a client one write, not one per frame. */
  cork?(): void
  uncork?(): void
}

export interface LiveChanges {
  upsert: RunSummary[]
  remove: string[]
  batches: MetricBatch[]
  /** The batches' points already went out through publishStaged, to every subscription not filtered on metrics. */
  pointsSent?: boolean
  /** Signal sessions that followed the index: their runs whose stop changed are upserted, their band sent if it changed. */
  signals?: Map<SignalSession, SignalUpdate>
}

interface Subscription {
  sub: string
  experimentIds: Set<string> | undefined
  metrics: Set<string> | undefined
  /** Series sent whole (a snapshot, a run that starts matching) are thinned to about this many points. */
  snapshotPoints?: number
  /** With a filter, the runs currently matching it; a change can add or remove one. */
  filter?: { ast: FilterAst; members: Set<string>; onMetrics: boolean }
  /** With signals: the shared session (and its registry key) whose verdicts go on this subscription's runs; built before the snapshot. */
  signals?: { key: string; session?: SignalSession }
}

/** Past this many unsent bytes a client is told to reconnect instead of growing server memory. */
export const MAX_BUFFERED_BYTES = 8 * 1024 * 1024
const MAX_SUBSCRIPTIONS = 64
/** A filtered subscription follows at most this many matching runs. */
const MAX_FILTERED_RUNS = 100_000

export class LiveHub {
  private readonly clients = new Set<LiveClient>()
  private markReady: () => void = () => {}
  /**
   * Subscriptions wait for the initial index: a snapshot taken mid-scan would
   * be followed by the rest of the scan as live points, which a resumed
   * client (with a cursor) already holds.
   */
  readonly ready = new Promise<void>((resolve) => (this.markReady = resolve))
  readonly signals: SignalRegistry

  indexed(): void {
    this.markReady()
  }

  constructor(
    readonly index: RunIndex,
    readonly queue: SerialQueue,
    readonly log: (message: string) => void = () => {},
    readonly maxBufferedBytes = MAX_BUFFERED_BYTES,
  ) {
    this.signals = new SignalRegistry(index)
  }

  get clientCount(): number {
    return this.clients.size
  }

  /** Bytes queued for the slowest client: what a slow reader costs the server right now. */
  get slowestClientBytes(): number {
    let max = 0
    for (const c of this.clients) max = Math.max(max, c.bufferedBytes)
    return max
  }

  /**
   * Brings a signal session up to the index as it is (a scan; for a new
   * subscription's snapshot) and tells the other subscriptions on it what
   * changed. On the serial queue.
   */
  async followSignals(session: SignalSession): Promise<void> {
    const update = await session.update()
    if (update.changed.length > 0 || update.band) await this.publish({ upsert: [], remove: [], batches: [], signals: new Map([[session, update]]) })
  }

  /** `batch`: the client opened the socket with `?batch=1` (see BatchMessage). */
  connect(socket: LiveSocket, options: { batch?: boolean } = {}): LiveClient {
    const client = new LiveClient(this, socket, options.batch === true)
    this.clients.add(client)
    return client
  }

  forget(client: LiveClient): void {
    this.clients.delete(client)
  }

  /** Called on the serial queue with points whose positions are known but that the index has not stored yet. */
  publishStaged(batches: MetricBatch[]): void {
    if (this.clients.size === 0) return
    const points = batches.map((b) => new PreparedPoints(b))
    for (const client of [...this.clients]) client.deliverStaged(points)
  }

  /** Called on the serial queue right after the index applied a batch. */
  async publish(changes: LiveChanges): Promise<void> {
    if (this.clients.size === 0) return
    const points = changes.batches.map((b) => new PreparedPoints(b))
    // Runs whose verdict alone changed go out as upserts too: their summaries are read once for every client.
    const stopOnly = new Set<string>()
    for (const update of changes.signals?.values() ?? []) for (const id of update.changed) stopOnly.add(id)
    for (const run of changes.upsert) stopOnly.delete(run.runId)
    const extra = new Map<string, RunSummary>()
    if (stopOnly.size > 0) for (const run of await this.index.runSummaries({ runIds: [...stopOnly] })) extra.set(run.runId, run)
    for (const client of [...this.clients]) {
      try {
        await client.deliverCorked(changes, points, extra)
      } catch (err) {
        // A client that missed a change must not go on as if it had not: it reconnects and gets a fresh snapshot.
        this.log(`a live client missed an update (${(err as Error).message}); asking it to reconnect`)
        client.drop(1011, 'server error; reconnect and resubscribe')
      }
    }
  }
}

export class LiveClient {
  private readonly subs = new Map<string, Subscription>()
  private closed = false

  constructor(
    private readonly hub: LiveHub,
    private readonly socket: LiveSocket,
    private readonly batch = false,
  ) {}

  receive(text: string): void {
    let msg: ClientMessage
    try {
      msg = JSON.parse(text) as ClientMessage
    } catch {
      return this.send({ type: 'error', code: 'BAD_MESSAGE', message: 'frame is not valid JSON' })
    }
    if (msg === null || typeof msg !== 'object') {
      return this.send({ type: 'error', code: 'BAD_MESSAGE', message: 'frame must be a JSON object' })
    }
    if (msg.type === 'subscribe') return this.subscribe(msg)
    if (msg.type === 'unsubscribe') {
      this.end(String(msg.sub))
      return
    }
    this.send({
      type: 'error',
      code: 'BAD_MESSAGE',
      message: `unknown message type ${JSON.stringify((msg as { type?: unknown }).type ?? null)}; expected subscribe or unsubscribe`,
    })
  }

  get bufferedBytes(): number {
    return this.socket.bufferedAmount
  }

  disconnect(): void {
    this.closed = true
    for (const sub of [...this.subs.keys()]) this.end(sub)
    this.hub.forget(this)
  }

  /** Ends a subscription and lets go of its signal session. */
  private end(sub: string): void {
    const s = this.subs.get(sub)
    this.subs.delete(sub)
    if (s?.signals) this.hub.signals.release(s.signals.key)
  }

  private subscribe(msg: SubscribeMessage): void {
    const sub = msg.sub
    const problem =
      typeof sub !== 'string' || sub === '' ? 'subscribe needs a non-empty string "sub"'
      : !isStringList(msg.experimentIds) ? '"experimentIds" must be a list of strings'
      : !isStringList(msg.metrics) ? '"metrics" must be a list of strings'
      : msg.filter !== undefined && typeof msg.filter !== 'string' ? '"filter" must be a string'
      : msg.snapshot !== undefined && typeof msg.snapshot !== 'boolean' ? '"snapshot" must be true or false'
      : msg.snapshotPoints !== undefined && !(Number.isInteger(msg.snapshotPoints) && msg.snapshotPoints >= 8) ? '"snapshotPoints" must be an integer of at least 8'
      : !this.subs.has(sub) && this.subs.size >= MAX_SUBSCRIPTIONS ? `at most ${MAX_SUBSCRIPTIONS} subscriptions per connection`
      : undefined
    if (problem) return this.send({ type: 'error', ...(typeof sub === 'string' ? { sub } : {}), code: 'BAD_SUBSCRIBE', message: problem })
    let spec: SignalSpec | undefined
    try {
      spec = msg.signals === undefined ? undefined : parseSignalSpec(msg.signals)
    } catch (err) {
      if (!(err instanceof SignalSpecError)) throw err
      return this.send({ type: 'error', sub, code: 'BAD_SUBSCRIBE', message: `signals: ${err.message}` })
    }

    let ast: FilterAst | undefined
    try {
      ast = msg.filter === undefined ? undefined : parseFilter(msg.filter, 'runwatch')
    } catch (err) {
      if (!(err instanceof FilterSyntaxError)) throw err
      return this.send({ type: 'error', sub, code: 'BAD_FILTER', message: err.message, column: err.column })
    }
    let after: Map<string, number> | undefined
    if (msg.cursor !== undefined) {
      after = decodeCursor(msg.cursor)
      if (!after) return this.send({ type: 'error', sub, code: 'BAD_CURSOR', message: 'cursor is not one this server gave out' })
    }
    const subscription: Subscription = {
      sub,
      experimentIds: msg.experimentIds ? new Set(msg.experimentIds) : undefined,
      metrics: msg.metrics ? new Set(msg.metrics) : undefined,
      ...(msg.snapshotPoints !== undefined ? { snapshotPoints: msg.snapshotPoints } : {}),
    }
    this.end(sub)
    const { index, queue } = this.hub
    void this.hub.ready
      .then(async () => {
        // A signal session is built off the queue (it reads the whole selection), then caught up on it.
        if (!spec || this.closed) return
        const { key, session } = this.hub.signals.acquire({ experimentIds: msg.experimentIds, ...(ast ? { filter: ast } : {}) }, msg.filter, spec)
        subscription.signals = { key }
        subscription.signals.session = await session
      })
      .then(() => queue.run(async () => {
        if (this.closed) return this.abandon(subscription)
        const session = subscription.signals?.session
        if (session) await this.hub.followSignals(session)
        let scope: { experimentIds?: string[]; runIds?: string[] } = { experimentIds: msg.experimentIds }
        if (ast) {
          const { ids } = await searchRuns(index, { experimentIds: msg.experimentIds, filter: ast, limit: MAX_FILTERED_RUNS })
          subscription.filter = { ast, members: new Set(ids), onMetrics: mentionsMetrics(ast) }
          scope = { runIds: ids }
        }
        if (msg.snapshot !== false) {
          const [runs, series] = await Promise.all([
            index.runSummaries(scope),
            index.series({ ...scope, keys: msg.metrics, ...(after ? { after } : {}), ...(subscription.snapshotPoints ? { thinTo: subscription.snapshotPoints } : {}) }),
          ])
          this.socket.cork?.()
          try {
            this.send({ type: 'runs', sub, upsert: withStops(subscription, runs), remove: [] })
            if (session) this.sendBand(subscription, session)
            for (const s of series) if (!after || s.step.length > 0) this.send({ type: 'points', sub, ...s })
          } finally {
            this.socket.uncork?.()
          }
        } else if (session) this.sendBand(subscription, session)
        this.send({ type: 'synced', sub })
        // A subscription made while this one was being answered already replaced it (last one wins).
        this.end(sub)
        this.subs.set(sub, subscription)
      }))
      .catch((err: unknown) => {
        this.abandon(subscription)
        this.hub.log(`subscription ${sub} failed: ${(err as Error).message}`)
        this.send({ type: 'error', sub, code: 'INTERNAL', message: 'could not read the index for this subscription' })
      })
  }

  /** A subscription that never started (its client left, or its snapshot failed) lets go of its signal session. */
  private abandon(s: Subscription): void {
    if (s.signals && this.subs.get(s.sub) !== s) this.hub.signals.release(s.signals.key)
  }

  private sendBand(s: Subscription, session: SignalSession): void {
    const { key, direction, rule } = session.spec
    this.send({ type: 'signals', sub: s.sub, key, direction, rule, band: session.band })
  }

  async deliverCorked(changes: LiveChanges, points: PreparedPoints[], stopOnly?: Map<string, RunSummary>): Promise<void> {
    this.socket.cork?.()
    try {
      await this.deliver(changes, points, stopOnly)
    } finally {
      this.socket.uncork?.()
    }
  }

  async deliver(changes: LiveChanges, points: PreparedPoints[], stopOnly: Map<string, RunSummary> = new Map()): Promise<void> {
    if (this.closed || this.subs.size === 0) return
    if (this.socket.bufferedAmount > this.hub.maxBufferedBytes) return this.shed()
    const index = this.hub.index
    const inScope = (s: Subscription, runId: string, experimentId?: string) => inExperiments(s, index, runId, experimentId)
    for (const s of [...this.subs.values()]) {
      const upsert: RunSummary[] = []
      const remove: string[] = [...changes.remove]
      const joined: string[] = []
      if (s.filter) {
        // Re-check only the runs that changed: they may enter or leave the filter.
        const candidates = new Set(changes.upsert.filter((r) => inScope(s, r.runId, r.experimentId)).map((r) => r.runId))
        if (s.filter.onMetrics) for (const b of changes.batches) if (inScope(s, b.runId)) candidates.add(b.runId)
        for (const id of changes.remove) s.filter.members.delete(id)
        if (candidates.size > 0) {
          const { ids } = await searchRuns(index, { runIds: [...candidates], filter: s.filter.ast, limit: candidates.size })
          const matching = new Set(ids)
          for (const id of candidates) {
            const was = s.filter.members.has(id)
            if (matching.has(id) && !was) {
              s.filter.members.add(id)
              joined.push(id)
            } else if (!matching.has(id) && was) {
              s.filter.members.delete(id)
              remove.push(id)
            }
          }
        }
      }
      const member = (runId: string) => isMember(s, runId)
      const update = s.signals?.session && changes.signals?.get(s.signals.session)
      const stopChanged = (update?.changed ?? []).flatMap((id) => stopOnly.get(id) ?? [])
      for (const run of [...changes.upsert, ...stopChanged]) {
        if (!inScope(s, run.runId, run.experimentId) || !member(run.runId) || joined.includes(run.runId)) continue
        if (run.lifecycleStage === 'deleted') remove.push(run.runId)
        else upsert.push(run)
      }
      if (joined.length > 0) upsert.push(...(await index.runSummaries({ runIds: joined })))
      if ((upsert.length > 0 || remove.length > 0) && !this.closed) this.socket.send(runsFrame(s.sub, withStops(s, upsert), remove))
      if (update && update.band) this.sendBand(s, s.signals!.session!)
      // A run that just started matching gets its whole series, then follows live.
      if (joined.length > 0) {
        for (const series of await index.series({ runIds: joined, keys: s.metrics ? [...s.metrics] : undefined, ...(s.snapshotPoints ? { thinTo: s.snapshotPoints } : {}) })) {
          this.send({ type: 'points', sub: s.sub, ...series })
        }
      }
      if ((s.filter?.onMetrics || !changes.pointsSent) && !this.sendPoints(s, points, joined)) return
    }
  }

  /**
   * Points published before the index stored them (see RunIndex.apply), to
   * the subscriptions whose runs do not hang on metric values; the others
   * get them with the rest of the change, once the filter can be re-checked.
   */
  deliverStaged(points: PreparedPoints[]): void {
    if (this.closed || this.subs.size === 0) return
    if (this.socket.bufferedAmount > this.hub.maxBufferedBytes) return this.shed()
    this.socket.cork?.()
    try {
      for (const s of [...this.subs.values()]) if (!s.filter?.onMetrics && !this.sendPoints(s, points, [])) return
    } finally {
      this.socket.uncork?.()
    }
  }

  /** Sends a subscription its share of the points; false when the client was told to resync instead. */
  private sendPoints(s: Subscription, points: PreparedPoints[], joined: string[]): boolean {
    if (this.closed) return false
    const frames: Buffer[] = []
    let queued = this.socket.bufferedAmount
    let fits = true
    for (const p of points) {
      const b = p.batch
      if (s.metrics && !s.metrics.has(b.key)) continue
      if (!inExperiments(s, this.hub.index, b.runId) || !isMember(s, b.runId) || joined.includes(b.runId)) continue
      const frame = p.frameFor(s.sub)
      // Never queue past the limit (one frame into an empty queue always goes): a client this far
      // behind resyncs from its cursor instead, and gets the rest of this batch that way.
      if (queued > 0 && queued + frame.length > this.hub.maxBufferedBytes) {
        fits = false
        break
      }
      frames.push(frame)
      queued += frame.length
    }
    if (this.batch && frames.length > 1) this.socket.send(batchFrame(frames))
    else if (this.socket.sendMany) this.socket.sendMany(frames)
    else for (const frame of frames) this.socket.send(frame)
    if (!fits) this.shed()
    return fits
  }

  /**
   * A client that cannot keep up stops getting deltas: each subscription gets
   * one small `resync` frame, queued behind what it has not read yet. When it
   * reads it, it has caught up and subscribes again with its cursor. The
   * server holds no more than the limit for it, and loses nothing for it.
   */
  private shed(): void {
    this.hub.log(`a live client is ${this.socket.bufferedAmount} bytes behind; asking it to resync`)
    const subs = [...this.subs.keys()]
    for (const sub of subs) this.end(sub)
    for (const sub of subs) this.send({ type: 'resync', sub })
  }

  drop(code: number, reason: string): void {
    this.disconnect()
    this.socket.close(code, reason)
  }

  private send(msg: ServerMessage): void {
    if (this.closed) return
    this.socket.send(JSON.stringify(msg))
  }
}

/**
 * A points frame is the same for every subscriber but for its `sub`: the
 * columns are serialized once per batch, not once per client.
 */
class PreparedPoints {
  private body: string | undefined
  private readonly frames = new Map<string, Buffer>()

  constructor(readonly batch: MetricBatch) {}

  /** The frame as UTF-8 bytes, shared by the subscriptions of that name (clients mostly pick the same names). */
  frameFor(sub: string): Buffer {
    let frame = this.frames.get(sub)
    if (!frame) this.frames.set(sub, (frame = Buffer.from(this.text(sub))))
    return frame
  }

  private text(sub: string): string {
    this.body ??= JSON.stringify({
      runId: this.batch.runId,
      key: this.batch.key,
      step: Array.from(this.batch.step),
      timestamp: Array.from(this.batch.timestamp),
      value: Array.from(this.batch.value, toWire),
      ...(this.batch.firstSeq === undefined ? {} : { cursor: String(this.batch.firstSeq + this.batch.value.length) }),
    }).slice(1)
    return `{"type":"points","sub":${JSON.stringify(sub)},${this.body}`
  }
}

const BATCH_OPEN = Buffer.from('{"type":"batch","frames":[')
const COMMA = Buffer.from(',')
const BATCH_CLOSE = Buffer.from(']}')

function batchFrame(frames: Buffer[]): Buffer {
  const parts: Buffer[] = [BATCH_OPEN]
  frames.forEach((f, i) => (i === 0 ? parts.push(f) : parts.push(COMMA, f)))
  parts.push(BATCH_CLOSE)
  return Buffer.concat(parts)
}

/** Each summary's JSON, written once for all the clients a publish goes to (summaries with a stop are copies: not shared). */
const summaryText = new WeakMap<RunSummary, string>()

function runsFrame(sub: string, upsert: RunSummary[], remove: string[]): string {
  const runs = upsert.map((run) => {
    let text = summaryText.get(run)
    if (text === undefined) summaryText.set(run, (text = JSON.stringify(run)))
    return text
  })
  return `{"type":"runs","sub":${JSON.stringify(sub)},"upsert":[${runs.join(',')}],"remove":${JSON.stringify(remove)}}`
}

/** Whether a run is in the subscription's experiments (its experiment looked up unless given). */
function inExperiments(s: Subscription, index: RunIndex, runId: string, experimentId = index.experimentOf(runId)): boolean {
  return !s.experimentIds || (experimentId !== undefined && s.experimentIds.has(experimentId))
}

/** Whether a run passes the subscription's filter as last checked (every run without a filter). */
function isMember(s: Subscription, runId: string): boolean {
  return s.filter ? s.filter.members.has(runId) : true
}

/** Health follows the points too (NaN, a runaway loss, the end of a silence). */
function mentionsMetrics(ast: FilterAst): boolean {
  return mentions(ast, (c) => c.entity === 'metric' || (c.entity === 'attribute' && c.key === 'health'))
}

/** A subscription with signals sends each run with its verdict (the summaries are shared: copies). */
function withStops(s: Subscription, runs: RunSummary[]): RunSummary[] {
  const session = s.signals?.session
  if (!session) return runs
  return runs.map((run) => ({ ...run, stop: session.stopOf(run.runId) ?? NO_STOP }))
}

function isStringList(v: unknown): v is string[] | undefined {
  return v === undefined || (Array.isArray(v) && v.every((x) => typeof x === 'string'))
}
