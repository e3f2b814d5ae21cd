// Reads an MLflow file store once, then tails it. chokidar follows the
// experiments (appearing, moving to and from `.trash`, going); one fs.watch
// per experiment folder reports its run folders coming and going, and one per
// run folder and per metrics/params/tags folder every write. Metric files are
// append-only: a byte offset per (run, key) means each byte is parsed once —
// also after the experiment moves — and a partial last line waits for its
// newline.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { readdir } from 'node:fs/promises'
import { join, relative, resolve, sep } from 'node:path'
import { watch, type FSWatcher } from 'chokidar'
import type { EventSink, StoreEvent, StoreSource } from '../events.ts'
import { MetaYamlError, parseExperimentMeta, parseRunMeta } from '../meta-yaml.ts'
import { DirWatchers } from './dir-watchers.ts'
import { MAX_READ_BYTES, newMetricState, readMetricFile, type MetricRead, type MetricReadState } from './metric-file.ts'
import { readRegularFile } from './read-file.ts'
import { readInputs, type RunFolder, type RunLocationRef } from './run-folder.ts'
import { scanRunFolders } from './scan-pool.ts'
import { classifyStorePath, isRunPath, RUN_SECTIONS, TRASH, type RunSection, type StorePath } from './layout.ts'

export interface FileStoreOptions {
  /** One line per problem; the source never throws on bad store content. */
  log?: (message: string) => void
  /** Waits before re-reading a meta.yaml that was empty or half written (MLflow's own retry). */
  metaRetryDelaysMs?: number[]
  /** Worker threads for the initial scan of a large store (default: up to 4, one per core). */
  scanThreads?: number
  /** Below this many runs the scan stays on this thread. */
  minRunsForWorkers?: number
}

interface RunLocation {
  experimentId: string
  /** `<expDir>/<runId>` relative to the root. */
  dir: string
}

type KeyFile = Extract<StorePath, { kind: 'metric' | 'param' | 'tag' }>
type RunPath = Extract<StorePath, { runId: string }>

const SECTION_KIND = { metrics: 'metric', params: 'param', tags: 'tag' } as const
const FLUSH_EVENTS = 2000
const TAIL_CONCURRENCY = 16
export class FileStoreSource implements StoreSource {
  private readonly log: (message: string) => void
  private readonly retryDelays: number[]
  private readonly scanOptions: { threads?: number; minRuns?: number }
  private sink: EventSink = () => {}
  private chokidar: FSWatcher | undefined
  private readonly dirs: DirWatchers
  private pending: StoreEvent[] = []
  private flushing: Promise<void> = Promise.resolve()
  /** `${runId}\u0000${key}` → read position, kept when the run's folder moves. */
  private readonly metricFiles = new Map<string, MetricReadState>()
  private readonly runs = new Map<string, RunLocation>()
  /** experimentId → its folder (`<id>` or `.trash/<id>`). */
  private readonly experiments = new Map<string, string>()
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

  readonly root: string

  constructor(root: string, options: FileStoreOptions = {}) {
    this.root = resolve(root)
    this.log = options.log ?? ((m) => console.error(`runwatch: ${m}`))
    this.retryDelays = options.metaRetryDelaysMs ?? [100, 200]
    this.scanOptions = { threads: options.scanThreads, minRuns: options.minRunsForWorkers }
    this.dirs = new DirWatchers(root, (dir, name) => this.enqueue(`${dir}/${name}`), this.log)
  }

  async start(sink: EventSink): Promise<void> {
    this.sink = sink
    // Watch before scanning so nothing written during the scan is missed;
    // whatever is reported meanwhile is re-read after the scan, and re-reading
    // is idempotent (offsets, upserts).
    // Run folders are left to the watches on their experiment's folder:
    // chokidar's walk of 10,000 of them (a stat, a realpath, a listing and a
    // stat per entry each) took seconds of this thread at start-up.
    const watcher = watch(this.root, {
      ignoreInitial: true,
      depth: 1,
      ignored: (path) => {
        const where = classifyStorePath(this.relative(path))
        return where.kind === 'ignored' || isRunPath(where)
      },
    })
    this.chokidar = watcher
    watcher.on('add', (p) => this.enqueue(this.relative(p)))
    watcher.on('change', (p) => this.enqueue(this.relative(p)))
    watcher.on('addDir', (p) => this.enqueue(this.relative(p)))
    watcher.on('unlinkDir', (p) => this.enqueueRemoval(this.relative(p)))
    watcher.on('error', (err) => this.log(`watching ${this.root}: ${(err as Error).message}`))
    const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()))

    // chokidar's own walk of a large store takes seconds: scan meanwhile, then
    // list the experiments again, so a run that appeared before chokidar
    // watched its experiment is still opened.
    const known = await this.scan()
    await ready
    for (const where of await this.listRunDirs()) {
      if (!this.experiments.has(where.experimentId)) this.enqueue(where.expDir)
      if (!known.has(`${where.expDir}/${where.runId}`)) this.enqueue(`${where.expDir}/${where.runId}`)
    }
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

  /** Every experiment folder (active and in .trash) and the run folders in it, reading each experiment's meta.yaml. */
  private async listRunDirs(openExperiments = false): Promise<RunPath[]> {
    const runDirs: RunPath[] = []
    const expDirs = [
      ...(await this.listTree('', false)).dirs,
      ...(await this.listTree(TRASH, false)).dirs.map((d) => `${TRASH}/${d}`),
    ]
    for (const expDir of expDirs) {
      const where = classifyStorePath(expDir)
      if (where.kind !== 'experiment-dir') continue
      if (openExperiments && !(await this.openExperiment(where))) continue
      runDirs.push(...(await this.runDirsIn(expDir)))
    }
    return runDirs
  }

  private async runDirsIn(expDir: string): Promise<RunPath[]> {
    const runDirs: RunPath[] = []
    for (const run of (await this.listTree(expDir, false)).dirs) {
      const w = classifyStorePath(`${expDir}/${run}`)
      if (w.kind === 'run-dir') runDirs.push(w)
    }
    return runDirs
  }

  /** Reads the whole store; returns the run folders it read. */
  private async scan(): Promise<Set<string>> {
    const started = Date.now()
    let lastReport = started
    const runDirs = await this.listRunDirs(true)
    // Each run is watched just before it is read: a write after that is
    // reported, and re-reading it after the scan is harmless. (Watching all
    // first, some 50,000 fs.watch calls for 10,000 runs, kept the workers
    // waiting for half a second.)
    const watchFirst = (where: RunLocationRef) => this.watchRun(where)
    await scanRunFolders(this.root, runDirs, this.retryDelays, this.scanOptions, watchFirst, async (where, folder) => {
      if (this.closed) return
      this.applyRunFolder(where, folder)
      if (this.pending.length >= FLUSH_EVENTS) await this.flushAhead()
      if (Date.now() - lastReport > 2000) {
        lastReport = Date.now()
        this.logProgress(started)
      }
    })
    await this.flush()
    if (runDirs.length > 0 || Date.now() - started > 2000) this.logProgress(started, 'indexed')
    return new Set(runDirs.map((w) => `${w.expDir}/${w.runId}`))
  }

  private logProgress(started: number, verb = 'indexing'): void {
    const s = (Date.now() - started) / 1000
    const rate = Math.round(this.counts.points / Math.max(s, 0.001))
    this.log(
      `${verb} ${this.root}: ${this.counts.runs} runs, ${this.counts.points} points in ${s.toFixed(1)} s (${rate} points/s)`,
    )
  }

  /** Takes in what a scan worker read of one run folder. */
  private applyRunFolder(where: RunLocationRef, folder: RunFolder): void {
    for (const p of folder.problems) this.reportOnce(p.rel, p.message)
    if (!folder.run) {
      if (folder.metaProblem) this.reportOnce(`${where.expDir}/${where.runId}/meta.yaml`, folder.metaProblem)
      return
    }
    const { run } = folder
    if (!this.runs.has(run.runId)) this.counts.runs++
    this.runs.set(run.runId, { experimentId: run.experimentId, dir: `${where.expDir}/${where.runId}` })
    this.emit({ type: 'run', run })
    for (const dir of folder.dirs) this.dirs.watch(dir)
    if (Object.keys(folder.params).length > 0) this.emit({ type: 'params', runId: run.runId, values: folder.params })
    if (Object.keys(folder.tags).length > 0) this.emit({ type: 'tags', runId: run.runId, values: folder.tags })
    for (const m of folder.metrics) {
      this.metricFiles.set(`${run.runId}\u0000${m.key}`, m.state)
      for (const b of m.batches) {
        this.counts.points += b.value.length
        this.emit({ type: 'metrics', batch: { runId: run.runId, key: m.key, ...b } })
      }
    }
    if (folder.inputs.length > 0) this.emit({ type: 'inputs', runId: run.runId, inputs: folder.inputs })
  }

  /** Reads an experiment's meta.yaml and tags; watches its folder (run folders coming and going) and its tags folder. */
  private async openExperiment(where: { experimentId: string; expDir: string }): Promise<boolean> {
    if (!this.readExperiment(where)) return false
    this.dirs.watch(where.expDir)
    this.dirs.watch(`${where.expDir}/tags`)
    this.readExperimentTags(where)
    return true
  }

  /** Watches a run's folders, then reads all of it: a write after the watch starts is never missed. */
  private async openRun(where: RunPath): Promise<void> {
    this.watchRun(where)
    if (!(await this.readRun(where))) return
    for (const section of RUN_SECTIONS) await this.openFolder(where, section)
    this.readInputs(where)
  }

  /** A run folder and its metrics/params/tags/inputs folders: every write in them is reported. */
  private watchRun(where: RunLocationRef): void {
    const runDir = `${where.expDir}/${where.runId}`
    for (const dir of [runDir, ...RUN_SECTIONS.map((s) => `${runDir}/${s}`)]) this.dirs.watch(dir)
    // Most runs have no inputs folder, and a watch that fails costs ten times a look first (an
    // exception each: 190 ms of 10,000 runs' scan). One made later is reported by the run folder's watch.
    if (existsSync(this.abs(`${runDir}/inputs`))) this.dirs.watch(`${runDir}/inputs`)
  }

  /**
   * Watches a metrics/params/tags folder (or a nested key folder `sub` in it)
   * and its subfolders, and reads every file in it.
   */
  private async openFolder(run: RunPath, section: RunSection, sub = ''): Promise<void> {
    const rel = `${run.expDir}/${run.runId}/${section}${sub ? `/${sub}` : ''}`
    const { files, dirs } = await this.listTree(rel, true)
    for (const dir of dirs) this.dirs.watch(`${rel}/${dir}`)
    const kind = SECTION_KIND[section]
    for (const file of files) {
      const key = sub ? `${sub}/${file}` : file
      await this.readKeyFile({ kind, experimentId: run.experimentId, expDir: run.expDir, runId: run.runId, key })
    }
  }

  // ---- tail ---------------------------------------------------------------

  private abs(rel: string): string {
    return rel ? `${this.root}${sep}${rel}` : this.root
  }

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
   * Runs `read` for one key at a time: a request while it runs makes it run
   * once more afterwards instead of twice at once (two reads from the same
   * offset would emit the same points twice).
   */
  private async exclusive(key: string, read: () => Promise<void>): Promise<void> {
    const running = this.reading.get(key)
    if (running) {
      running.again = true
      return
    }
    const state = { again: false }
    this.reading.set(key, state)
    try {
      do {
        state.again = false
        await read()
      } while (state.again && !this.closed)
    } finally {
      this.reading.delete(key)
    }
  }

  /**
   * A folder went away. A run or experiment is only dropped when it exists
   * nowhere else: moving an experiment to `.trash` and back shows up as a
   * removal here and an addition there, in either order.
   */
  private handleRemoval(where: StorePath, rel: string): void {
    if (where.kind === 'run-dir') {
      const run = this.runs.get(where.runId)
      if (run?.dir === rel && !existsSync(this.abs(rel))) this.removeRun(where.runId)
    } else if (where.kind === 'experiment-dir') {
      // Its watch would go on reporting, under this name, what happens where the folder went.
      if (!existsSync(this.abs(rel))) this.dirs.unwatch(rel)
      for (const [runId, run] of this.runs) {
        if (run.dir.startsWith(`${rel}/`) && !existsSync(this.abs(run.dir))) this.removeRun(runId)
      }
      if (this.experiments.get(where.experimentId) === rel && !this.locateExperiment(where.experimentId)) {
        this.experiments.delete(where.experimentId)
        this.emit({ type: 'experiment-removed', experimentId: where.experimentId })
      }
    }
  }

  private removeRun(runId: string): void {
    const run = this.runs.get(runId)
    if (!run) return
    this.dirs.unwatchTree(run.dir)
    for (const k of this.metricFiles.keys()) if (k.startsWith(`${runId}\u0000`)) this.metricFiles.delete(k)
    this.runs.delete(runId)
    this.emit({ type: 'run-removed', runId })
  }

  private locateExperiment(experimentId: string): string | undefined {
    for (const dir of [experimentId, `${TRASH}/${experimentId}`]) {
      if (existsSync(this.abs(`${dir}/meta.yaml`))) return dir
    }
    return undefined
  }

  private async handle(where: StorePath): Promise<void> {
    switch (where.kind) {
      case 'experiment-dir':
        // A folder that moved here (to or from .trash) brings run folders that no watch reports.
        if (!(await this.openExperiment(where))) return
        for (const run of await this.runDirsIn(where.expDir)) {
          const rel = `${run.expDir}/${run.runId}`
          if (this.runs.get(run.runId)?.dir !== rel) this.enqueue(rel)
        }
        return
      case 'experiment-meta':
        await this.openExperiment(where)
        return
      case 'experiment-tags-dir':
      case 'experiment-tag':
        this.readExperimentTags(where)
        return
      case 'run-dir': {
        // Reported by the watch on its experiment's folder, whether the run folder came or went.
        const rel = `${where.expDir}/${where.runId}`
        if (existsSync(this.abs(rel))) await this.openRun(where)
        else this.handleRemoval(where, rel)
        return
      }
      case 'run-meta':
        await this.readRun(where)
        return
      case 'run-inputs':
        this.watchInputs(where)
        this.readInputs(where)
        return
      case 'run-section':
        this.dirs.watch(`${where.expDir}/${where.runId}/${where.section}`)
        await this.openFolder(where, where.section)
        return
      case 'metric':
      case 'param':
      case 'tag': {
        // A name reported by a folder watch may be a new subfolder (a nested key);
        // a metric file already being tailed is not (this spares a stat per append).
        const rel = keyPath(where)
        const tailed = where.kind === 'metric' && this.metricFiles.has(`${where.runId}\u0000${where.key}`)
        if (!tailed && isFolder(this.abs(rel))) {
          this.dirs.watch(rel)
          await this.openFolder(where, `${where.kind}s` as RunSection, where.key)
        } else await this.readKeyFile(where)
        return
      }
      default:
        return
    }
  }

  // ---- readers ------------------------------------------------------------

  private readExperiment(where: { experimentId: string; expDir: string }): boolean {
    const rel = `${where.expDir}/meta.yaml`
    const text = this.readText(rel)
    if (text === undefined) return false
    try {
      const experiment = parseExperimentMeta(text)
      this.experiments.set(experiment.experimentId, where.expDir)
      this.emit({ type: 'experiment', experiment })
      return true
    } catch (err) {
      this.reportOnce(rel, `skipping experiment: ${(err as Error).message}`)
      return false
    }
  }

  private readExperimentTags(where: { experimentId: string; expDir: string }): void {
    const keys = filesBelow(this.abs(`${where.expDir}/tags`))
    if (keys === undefined) return
    const values: Record<string, string> = {}
    for (const key of keys) {
      const value = this.readText(`${where.expDir}/tags/${key}`)
      if (value !== undefined) values[key] = value
    }
    this.emit({ type: 'experiment-tags', experimentId: where.experimentId, values })
  }

  private async readKeyFile(where: KeyFile): Promise<void> {
    const rel = keyPath(where)
    if (where.kind === 'metric') {
      if (!this.runs.has(where.runId)) await this.readRun(where)
      await this.readMetricTail(rel, where.runId, where.key)
      return
    }
    const value = this.readText(rel)
    if (value !== undefined) {
      this.emit({ type: where.kind === 'param' ? 'params' : 'tags', runId: where.runId, values: { [where.key]: value } })
    } else if (where.kind === 'tag' && this.runs.get(where.runId)?.dir === `${where.expDir}/${where.runId}` && !existsSync(this.abs(rel))) {
      this.emit({ type: 'tags', runId: where.runId, values: {}, removed: [where.key] })
    }
  }

  /** Reads a run's meta.yaml, retrying a half-written file; never drops a known run. */
  private async readRun(where: RunPath): Promise<boolean> {
    let ok = false
    await this.exclusive(`run\u0000${where.runId}`, async () => {
      ok = await this.readRunOnce(where)
    })
    return ok || this.runs.has(where.runId)
  }

  private async readRunOnce(where: RunPath): Promise<boolean> {
    const dir = `${where.expDir}/${where.runId}`
    const rel = `${dir}/meta.yaml`
    for (let attempt = 0; ; attempt++) {
      const text = this.readText(rel, attempt < this.retryDelays.length)
      if (text === undefined) return false
      try {
        const runNameTag = this.readText(`${dir}/tags/mlflow.runName`, true)
        const run = parseRunMeta(text, runNameTag)
        if (!this.runs.has(run.runId)) this.counts.runs++
        this.runs.set(run.runId, { experimentId: run.experimentId, dir })
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

  /**
   * A change under a run's inputs/ (or its making, reported by the run
   * folder's watch): inputs/ and each input's folder are watched from now on,
   * so an input's meta.yaml written just after its folder is seen too.
   */
  private watchInputs(where: RunPath): void {
    const dir = `${where.expDir}/${where.runId}/inputs`
    if (!this.dirs.watch(dir)) return
    let ids: string[] = []
    try {
      ids = readdirSync(this.abs(dir))
    } catch {
      return
    }
    for (const id of ids) this.dirs.watch(`${dir}/${id}`)
  }

  /** A run's dataset inputs, read again whole when anything under inputs/ changes. */
  private readInputs(where: RunPath): void {
    const problems: { rel: string; message: string }[] = []
    const inputs = readInputs(this.root, where, (rel) => this.readText(rel, true), { problems })
    for (const p of problems) this.reportOnce(p.rel, p.message)
    if (inputs.length > 0) this.emit({ type: 'inputs', runId: where.runId, inputs })
  }

  private readMetricTail(rel: string, runId: string, key: string): Promise<void> {
    return this.exclusive(`${runId}\u0000${key}`, () => this.readMetricOnce(rel, runId, key))
  }

  private async readMetricOnce(rel: string, runId: string, key: string): Promise<void> {
    const id = `${runId}\u0000${key}`
    let state = this.metricFiles.get(id)
    if (!state) {
      state = newMetricState()
      this.metricFiles.set(id, state)
    }
    let read: MetricRead
    try {
      read = readMetricFile(this.abs(rel), state)
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (code !== 'ENOENT') this.reportOnce(rel, `cannot read metric file: ${code ?? (err as Error).message}`)
      return
    }
    if (read.problem?.startsWith('shrank')) this.log(`${this.abs(rel)} ${read.problem}`)
    else if (read.problem) this.reportOnce(rel, read.problem)
    for (const b of read.batches) {
      this.counts.points += b.value.length
      this.emit({ type: 'metrics', batch: { runId, key, ...b } })
    }
  }

  /** undefined when the file is missing (quietly if `quiet`) or unreadable. */
  private readText(rel: string, quiet = false): string | undefined {
    try {
      return readRegularFile(this.abs(rel), 0, MAX_READ_BYTES).bytes.toString('utf8')
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code
      if (!(quiet || code === 'ENOENT')) this.reportOnce(rel, `cannot read: ${code ?? (err as Error).message}`)
      return undefined
    }
  }

  /** Files and folders under `rel` as '/'-joined relative paths (all levels when `deep`). */
  private async listTree(rel: string, deep: boolean): Promise<{ files: string[]; dirs: string[] }> {
    const dir = this.abs(rel)
    try {
      const entries = await readdir(dir, { withFileTypes: true, recursive: deep })
      const name = (e: { parentPath: string; name: string }) =>
        e.parentPath === dir ? e.name : `${e.parentPath.slice(dir.length + 1).split(sep).join('/')}/${e.name}`
      // Symbolic links are not followed (a link can loop); FIFOs, sockets and devices are not data.
      for (const e of entries) {
        if (!e.isFile() && !e.isDirectory() && !e.isSymbolicLink()) this.reportOnce(`${rel}/${name(e)}`, 'not a regular file; skipped')
      }
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

  /**
   * Hands pending events on but waits only for the batch before them: the
   * scan workers go on reading while the index takes in a batch (awaiting
   * each flush left them idle for most of it). The sink still gets one batch
   * at a time, and at most two are held.
   */
  private async flushAhead(): Promise<void> {
    const previous = this.flushing
    void this.flush()
    await previous
  }

  private reportOnce(rel: string, message: string): void {
    if (this.reported.has(rel)) return
    this.reported.add(rel)
    this.log(`${this.abs(rel)}: ${message}`)
  }
}

function keyPath(where: KeyFile): string {
  return `${where.expDir}/${where.runId}/${where.kind}s/${where.key}`
}

/** Files below a folder, nested ones as 'a/b'; undefined when the folder is missing. */
function filesBelow(dir: string): string[] | undefined {
  try {
    return readdirSync(dir, { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile())
      .map((e) => relative(dir, join(e.parentPath, e.name)).split(sep).join('/'))
  } catch {
    return undefined
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory()
  } catch {
    return false
  }
}

