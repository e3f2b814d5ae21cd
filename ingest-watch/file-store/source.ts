// Reads an MLflow file store once, then tails it. chokidar follows the
// structure (experiments and run folders appearing, moving, going); one
// fs.watch per run folder and per metrics/params/tags folder reports every
// write. Metric files are append-only: a byte offset per file means each byte
// is parsed once, and a partial last line waits for its newline.
import { closeSync, fstatSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import type { EventSink, StoreEvent, StoreSource } from '../events.ts'
import { MetaYamlError, parseExperimentMeta, parseRunMeta } from '../meta-yaml.ts'
import { completeLinesEnd, parseMetricBytes } from '../metric-lines.ts'
import { DirWatchers } from './dir-watchers.ts'
import { classifyStorePath, RUN_SECTIONS, type StorePath } from './layout.ts'

export interface FileStoreOptions {
  /** One line per problem; the source never throws on bad store content. */
  log?: (message: string) => void
  /** Waits before re-reading a meta.yaml that was empty or half written (MLflow's own retry). */
  metaRetryDelaysMs?: number[]
}

interface MetricFileState {
  offset: number
  /** 1-based number of the next line to parse, for error messages. */
  line: number
}

const FLUSH_EVENTS = 2000
const SCAN_CONCURRENCY = 8
const TAIL_CONCURRENCY = 16

export class FileStoreSource implements StoreSource {
  private readonly log: (message: string) => void
  private readonly retryDelays: number[]
  private sink: EventSink = () => {}
  private chokidar: FSWatcher | undefined
  private readonly dirs: DirWatchers
  private pending: StoreEvent[] = []
  private flushing: Promise<void> = Promise.resolve()
  private readonly metricFiles = new Map<string, MetricFileState>()
  private readonly knownRuns = new Set<string>()
  /** Paths whose problems were already logged: one line per bad file, not per event. */
  private readonly reported = new Set<string>()
  /** Relative paths waiting to be (re)read, in arrival order, each once. */
  private readonly queue = new Set<string>()
  private readonly removedDirs = new Set<string>()
  private readonly reading = new Map<string, { again: boolean }>()
  private scanned = false
  private draining: Promise<void> | undefined
  private closed = false
  private readonly counts = { runs: 0, points: 0 }

  constructor(
    readonly root: string,
    options: FileStoreOptions = {},
  ) {
    this.log = options.log ?? ((m) => console.error(`runwatch: ${m}`))
    this.retryDelays = options.metaRetryDelaysMs ?? [100, 200]
    this.dirs = new DirWatchers(root, (dir, name) => this.enqueue(`${dir}/${name}`), this.log)
  }

  async start(sink: EventSink): Promise<void> {
    this.sink = sink
    // Watch before scanning so nothing written during the scan is missed;
    // whatever is reported meanwhile is re-read after the scan, and re-reading
    // is idempotent (offsets, upserts).
    const watcher = watch(this.root, {
      ignoreInitial: true,
      depth: 1,
      ignored: (path) => classifyStorePath(this.relative(path)).kind === 'ignored',
    })
    this.chokidar = watcher
    watcher.on('add', (p) => this.enqueue(this.relative(p)))
    watcher.on('change', (p) => this.enqueue(this.relative(p)))
    watcher.on('addDir', (p) => this.enqueue(this.relative(p)))
    watcher.on('unlinkDir', (p) => this.enqueueRemoval(this.relative(p)))
    watcher.on('error', (err) => this.log(`watching ${this.root}: ${(err as Error).message}`))
    await new Promise<void>((resolve) => watcher.once('ready', () => resolve()))

    await this.scan()
    this.scanned = true
    this.kick()
    await this.idle()
  }

  async close(): Promise<void> {
    this.closed = true
    this.dirs.closeAll()
    await this.chokidar?.close()
    await this.draining
    await this.flushing
  }

  /** Resolves when every change reported so far has been read and handed to the sink. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining
    await this.flushing
  }

  // ---- initial scan -------------------------------------------------------

  private async scan(): Promise<void> {
    const started = Date.now()
    let lastReport = started
    const runDirs: { experimentId: string; runId: string }[] = []
    for (const exp of (await this.listTree('', false)).dirs) {
      const where = classifyStorePath(exp)
      if (where.kind !== 'experiment-dir') continue
      if (!(await this.readExperiment(where.experimentId))) continue
      for (const run of (await this.listTree(exp, false)).dirs) {
        const w = classifyStorePath(`${exp}/${run}`)
        if (w.kind === 'run-dir') runDirs.push({ experimentId: w.experimentId, runId: w.runId })
      }
    }
    let next = 0
    const worker = async () => {
      while (next < runDirs.length && !this.closed) {
        const { experimentId, runId } = runDirs[next++]!
        await this.openRun(experimentId, runId)
        if (this.pending.length >= FLUSH_EVENTS) await this.flush()
        if (Date.now() - lastReport > 2000) {
          lastReport = Date.now()
          this.logProgress(started)
        }
      }
    }
    await Promise.all(Array.from({ length: SCAN_CONCURRENCY }, worker))
    await this.flush()
    if (runDirs.length > 0 || Date.now() - started > 2000) this.logProgress(started, 'indexed')
  }

  private logProgress(started: number, verb = 'indexing'): void {
    const s = (Date.now() - started) / 1000
    const rate = Math.round(this.counts.points / Math.max(s, 0.001))
    this.log(
      `${verb} ${this.root}: ${this.counts.runs} runs, ${this.counts.points} points in ${s.toFixed(1)} s (${rate} points/s)`,
    )
  }

  /** Watches a run's folders, then reads all of it: a write after the watch starts is never missed. */
  private async openRun(experimentId: string, runId: string): Promise<void> {
    const runDir = `${experimentId}/${runId}`
    this.dirs.watch(runDir)
    for (const section of RUN_SECTIONS) this.dirs.watch(`${runDir}/${section}`)
    if (!(await this.readRun(experimentId, runId))) return
    for (const section of RUN_SECTIONS) await this.openFolder(`${runDir}/${section}`)
  }

  /** Watches a metrics/params/tags folder and its subfolders (nested keys) and reads every file in it. */
  private async openFolder(rel: string): Promise<void> {
    const { files, dirs } = await this.listTree(rel, true)
    for (const dir of dirs) this.dirs.watch(`${rel}/${dir}`)
    for (const file of files) {
      const where = classifyStorePath(`${rel}/${file}`)
      if (where.kind === 'metric' || where.kind === 'param' || where.kind === 'tag') await this.readKeyFile(where)
    }
  }

  // ---- tail ---------------------------------------------------------------

  private relative(absolute: string): string {
    const rel = relative(this.root, absolute)
    return sep === '/' ? rel : rel.split(sep).join('/')
  }

  private enqueue(rel: string): void {
    this.removedDirs.delete(rel)
    this.queue.add(rel)
    this.kick()
  }

  private enqueueRemoval(rel: string): void {
    this.removedDirs.add(rel)
    this.queue.add(rel)
    this.kick()
  }

  private kick(): void {
    if (!this.scanned || this.draining || this.closed || this.queue.size === 0) return
    this.draining = this.drain()
      .catch((err: unknown) => this.log(`reading changes failed: ${(err as Error).message}`))
      .finally(() => {
        this.draining = undefined
        this.kick()
      })
  }

  /** Reads everything reported so far, several files at a time, then hands the events on as one batch. */
  private async drain(): Promise<void> {
    while (this.queue.size > 0 && !this.closed) {
      const batch = [...this.queue]
      this.queue.clear()
      let next = 0
      const worker = async () => {
        while (next < batch.length && !this.closed) {
          const rel = batch[next++]!
          const where = classifyStorePath(rel)
          if (this.removedDirs.delete(rel)) this.handleRemoval(where, rel)
          else await this.handle(where)
          if (this.pending.length >= FLUSH_EVENTS) await this.flush()
        }
      }
      await Promise.all(Array.from({ length: Math.min(TAIL_CONCURRENCY, batch.length) }, worker))
      await this.flush()
    }
  }

  /**
   * Runs `read` for one path at a time: a request while it runs makes it run
   * once more afterwards instead of twice at once (two reads from the same
   * offset would emit the same points twice).
   */
  private async exclusive(path: string, read: () => Promise<void>): Promise<void> {
    const running = this.reading.get(path)
    if (running) {
      running.again = true
      return
    }
    const state = { again: false }
    this.reading.set(path, state)
    try {
      do {
        state.again = false
        await read()
      } while (state.again && !this.closed)
    } finally {
      this.reading.delete(path)
    }
  }

  private handleRemoval(where: StorePath, rel: string): void {
    if (where.kind !== 'run-dir') return
    this.dirs.unwatchTree(rel)
    for (const path of this.metricFiles.keys()) if (path.startsWith(`${rel}/`)) this.metricFiles.delete(path)
    this.knownRuns.delete(where.runId)
    this.emit({ type: 'run-removed', runId: where.runId })
  }

  private async handle(where: StorePath): Promise<void> {
    switch (where.kind) {
      case 'experiment-dir':
      case 'experiment-meta':
        await this.readExperiment(where.experimentId)
        return
      case 'run-dir':
        await this.openRun(where.experimentId, where.runId)
        return
      case 'run-meta':
        await this.readRun(where.experimentId, where.runId)
        return
      case 'run-section': {
        const rel = `${where.experimentId}/${where.runId}/${where.section}`
        this.dirs.watch(rel)
        await this.openFolder(rel)
        return
      }
      case 'metric':
      case 'param':
      case 'tag': {
        // A name reported by a folder watch may be a new subfolder (a nested key).
        const rel = keyPath(where)
        if (isFolder(join(this.root, rel))) {
          this.dirs.watch(rel)
          await this.openFolder(rel)
        } else await this.readKeyFile(where)
        return
      }
      default:
        return
    }
  }

  private async readKeyFile(where: Extract<StorePath, { kind: 'metric' | 'param' | 'tag' }>): Promise<void> {
    const rel = keyPath(where)
    if (where.kind === 'metric') {
      if (!this.knownRuns.has(where.runId)) await this.readRun(where.experimentId, where.runId)
      await this.readMetricTail(rel, where.runId, where.key)
      return
    }
    const value = this.readText(rel)
    if (value !== undefined) {
      this.emit({ type: where.kind === 'param' ? 'params' : 'tags', runId: where.runId, values: { [where.key]: value } })
    }
  }

  // ---- readers ------------------------------------------------------------

  private async readExperiment(experimentId: string): Promise<boolean> {
    const rel = `${experimentId}/meta.yaml`
    const text = this.readText(rel)
    if (text === undefined) return false
    try {
      this.emit({ type: 'experiment', experiment: parseExperimentMeta(text) })
      return true
    } catch (err) {
      this.reportOnce(rel, `skipping experiment: ${(err as Error).message}`)
      return false
    }
  }

  /** Reads a run's meta.yaml, retrying a half-written file; never drops a known run. */
  private async readRun(experimentId: string, runId: string): Promise<boolean> {
    let ok = false
    await this.exclusive(`${experimentId}/${runId}/meta.yaml`, async () => {
      ok = await this.readRunOnce(experimentId, runId)
    })
    return ok || this.knownRuns.has(runId)
  }

  private async readRunOnce(experimentId: string, runId: string): Promise<boolean> {
    const rel = `${experimentId}/${runId}/meta.yaml`
    for (let attempt = 0; ; attempt++) {
      const text = this.readText(rel, attempt < this.retryDelays.length)
      if (text === undefined) return false
      try {
        const runNameTag = this.readText(`${experimentId}/${runId}/tags/mlflow.runName`, true)
        const run = parseRunMeta(text, runNameTag)
        if (!this.knownRuns.has(run.runId)) this.counts.runs++
        this.knownRuns.add(run.runId)
        this.emit({ type: 'run', run })
        return true
      } catch (err) {
        if (!(err instanceof MetaYamlError)) throw err
        const delay = this.retryDelays[attempt]
        if (delay === undefined) {
          this.reportOnce(rel, `skipping run meta.yaml: ${err.message}`)
          return false
        }
        await new Promise((r) => setTimeout(r, delay))
      }
    }
  }

  private readMetricTail(rel: string, runId: string, key: string): Promise<void> {
    return this.exclusive(rel, () => this.readMetricOnce(rel, runId, key))
  }

  private async readMetricOnce(rel: string, runId: string, key: string): Promise<void> {
    let state = this.metricFiles.get(rel)
    if (!state) {
      state = { offset: 0, line: 1 }
      this.metricFiles.set(rel, state)
    }
    // Appends are small and the store is local: synchronous reads skip a
    // thread-pool round trip per call, which dominates at thousands of files.
    let bytes: Buffer
    let fd: number | undefined
    try {
      fd = openSync(join(this.root, rel), 'r')
      const { size } = fstatSync(fd)
      if (size < state.offset) {
        // Truncated or replaced: the file is the truth, read it again.
        this.log(`${join(this.root, rel)} shrank from ${state.offset} to ${size} bytes; reading it again`)
        state.offset = 0
        state.line = 1
      }
      if (size === state.offset) return
      bytes = Buffer.allocUnsafe(size - state.offset)
      bytes = bytes.subarray(0, readSync(fd, bytes, 0, bytes.length, state.offset))
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code === 'ENOENT') this.metricFiles.delete(rel)
      else this.reportOnce(rel, `cannot read metric file: ${code ?? (err as Error).message}`)
      return
    } finally {
      if (fd !== undefined) closeSync(fd)
    }
    const end = completeLinesEnd(bytes)
    if (end === 0) return
    const parsed = parseMetricBytes(bytes, end, state.line)
    state.offset += end
    state.line += countNewlines(bytes, end)
    if (parsed.bad.length > 0) {
      const first = parsed.bad[0]!
      const more = parsed.bad.length > 1 ? ` (and ${parsed.bad.length - 1} more bad lines)` : ''
      this.reportOnce(rel, `line ${first.line}: ${first.reason}; skipped${more}`)
    }
    if (parsed.value.length === 0) return
    this.counts.points += parsed.value.length
    this.emit({
      type: 'metrics',
      batch: {
        runId,
        key,
        timestamp: parsed.timestamp,
        value: parsed.value,
        step: parsed.step,
      },
    })
  }

  /** undefined when the file is missing (quietly if `quiet`) or unreadable. */
  private readText(rel: string, quiet = false): string | undefined {
    try {
      return readFileSync(join(this.root, rel), 'utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (!(quiet || code === 'ENOENT')) this.reportOnce(rel, `cannot read: ${code ?? (err as Error).message}`)
      return undefined
    }
  }

  /** Files and folders under `rel` as '/'-joined relative paths (all levels when `deep`). */
  private async listTree(rel: string, deep: boolean): Promise<{ files: string[]; dirs: string[] }> {
    const dir = join(this.root, rel)
    try {
      const entries = await readdir(dir, { withFileTypes: true, recursive: deep })
      const name = (e: { parentPath: string; name: string }) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/')
      return {
        files: entries.filter((e) => e.isFile()).map(name),
        dirs: entries.filter((e) => e.isDirectory()).map(name),
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT' && code !== 'ENOTDIR') this.reportOnce(rel || '.', `cannot list: ${code ?? (err as Error).message}`)
      return { files: [], dirs: [] }
    }
  }

  // ---- events -------------------------------------------------------------

  private emit(event: StoreEvent): void {
    this.pending.push(event)
  }

  /** Hands pending events to the sink; calls are chained so the sink never runs twice at once. */
  private flush(): Promise<void> {
    if (this.pending.length === 0) return this.flushing
    const events = this.pending
    this.pending = []
    this.flushing = this.flushing
      .then(() => this.sink(events))
      .catch((err: unknown) => this.log(`could not hand ${events.length} events on: ${(err as Error).message}`))
    return this.flushing
  }

  private reportOnce(rel: string, message: string): void {
    if (this.reported.has(rel)) return
    this.reported.add(rel)
    this.log(`${join(this.root, rel)}: ${message}`)
  }
}

function keyPath(where: { experimentId: string; runId: string; kind: 'metric' | 'param' | 'tag'; key: string }): string {
  return `${where.experimentId}/${where.runId}/${where.kind}s/${where.key}`
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

function countNewlines(bytes: Uint8Array, end: number): number {
  let n = 0
  for (let i = 0; i < end; i++) if (bytes[i] === 10) n++
  return n
}
