import { execFileSync } from 'node:child_process'
import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { MlflowFileStoreWriter } from '../demo/mlflow-file-writer.ts'
import type { StoreEvent } from '../ingest-watch/events.ts'
import { FileStoreSource } from '../ingest-watch/file-store/source.ts'
import { collect } from './helpers/collect-events.ts'
import { copyFixtureFileStore, MLFLOW_VERSIONS, tempDir } from './helpers/fixtures.ts'
import { waitFor } from './helpers/wait.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function open(root: string) {
  const logs: string[] = []
  const source = new FileStoreSource(root, { log: (m) => logs.push(m), metaRetryDelaysMs: [100, 200] })
  cleanups.push(() => source.close())
  return { source, ...(await collect(source, logs)) }
}

function scratch() {
  const dir = tempDir()
  cleanups.push(dir.remove)
  return dir.path
}

describe.each(MLFLOW_VERSIONS)('initial scan of a store written by %s', (version) => {
  it('finds every experiment, run, param, tag and point', async () => {
    const root = copyFixtureFileStore(version, scratch())
    const { events, logs } = await open(root)
    const experiments = events.flatMap((e) => (e.type === 'experiment' ? [e.experiment] : []))
    const runs = events.flatMap((e) => (e.type === 'run' ? [e.run] : []))
    expect(experiments.map((e) => e.name).sort()).toEqual(['Default', 'demo-cnn', 'demo-transformer'])
    expect(new Set(runs.map((r) => r.runId)).size).toBe(20)
    expect(runs.find((r) => r.name === 'run-13')?.status).toBe('RUNNING')
    const params = events.reduce((n, e) => n + (e.type === 'params' ? Object.keys(e.values).length : 0), 0)
    expect(params).toBe(20 * 3)
    const points = events.reduce((n, e) => n + (e.type === 'metrics' ? e.batch.value.length : 0), 0)
    expect(points).toBe(20 * 2 * 500)
    expect(logs.filter((l) => !l.startsWith('indexed'))).toEqual([])
  })
})

describe('live tail of a file store', () => {
  it('picks up appended lines exactly once, holding back a half-written line', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('tail')
    const run = w.createRun(exp, { name: 'r1' })
    w.logMetric(run, 'loss', [{ timestamp: 1000, value: 1, step: 0 }])
    const { source, points } = await open(root)
    expect(points(run, 'loss')).toEqual([[1000, 1, 0]])

    const file = w.metricPath(run, 'loss')
    const expected: [number, number, number][] = [[1000, 1, 0]]
    for (let step = 1; step <= 200; step++) {
      const line = `${1000 + step} ${1 / (step + 1)} ${step}\n`
      expected.push([1000 + step, 1 / (step + 1), step])
      // Cut some lines in two writes, as a writer flushing mid-line would.
      if (step % 7 === 0) {
        appendFileSync(file, line.slice(0, 5))
        await new Promise((r) => setTimeout(r, 5))
        appendFileSync(file, line.slice(5))
      } else appendFileSync(file, line)
      if (step % 50 === 0) await new Promise((r) => setTimeout(r, 30))
    }
    await waitFor(() => points(run, 'loss').length >= expected.length, 'all appended points')
    await new Promise((r) => setTimeout(r, 200))
    await source.idle()
    expect(points(run, 'loss')).toEqual(expected)
  })

  it('sees new runs and metric files, a status change, and a purged run', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('live')
    const { events, points } = await open(root)

    const run = w.createRun(exp, { name: 'late', params: { lr: '0.1' } })
    w.logMetric(run, 'nested/acc', [{ timestamp: 5, value: 0.5, step: 0 }])
    await waitFor(() => points(run, 'nested/acc').length === 1, 'the new run\'s nested metric')
    expect(events.some((e) => e.type === 'run' && e.run.runId === run && e.run.name === 'late')).toBe(true)
    expect(events.some((e) => e.type === 'params' && e.runId === run && e.values.lr === '0.1')).toBe(true)

    w.endRun(run, 'FINISHED', 99)
    await waitFor(() => events.some((e) => e.type === 'run' && e.run.runId === run && e.run.status === 'FINISHED' && e.run.endTime === 99), 'FINISHED')

    w.purgeRun(run)
    await waitFor(() => events.some((e) => e.type === 'run-removed' && e.runId === run), 'run-removed')
  })

  it('retries a half-written meta.yaml instead of dropping the run', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('retry')
    const run = w.createRun(exp, { name: 'r' })
    const { events, logs } = await open(root)
    const metaPath = join(w.runDir({ experimentId: exp, runId: run }), 'meta.yaml')
    const full = (await import('node:fs')).readFileSync(metaPath, 'utf8').replace('status: 1', 'status: 3')
    writeFileSync(metaPath, full.slice(0, 20))
    await new Promise((r) => setTimeout(r, 60))
    writeFileSync(metaPath, full)
    await waitFor(() => events.some((e) => e.type === 'run' && e.run.runId === run && e.run.status === 'FINISHED'), 'the rewritten run')
    expect(logs.filter((l) => l.includes('meta.yaml'))).toEqual([])
  })

  it('logs a bad metric line once with its path and line, and keeps reading the good ones', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('bad')
    const run = w.createRun(exp, { name: 'r' })
    const file = w.metricPath(run, 'loss')
    writeFileSync(file, '1 0.5 0\n2 0.4 1 oops\n3 0.3 2\n')
    const broken = join(root, exp, 'not-a-run')
    mkdirSync(broken)
    writeFileSync(join(broken, 'meta.yaml'), '{{{ not yaml')
    const { logs, points } = await open(root)
    expect(points(run, 'loss')).toEqual([[1, 0.5, 0], [3, 0.3, 2]])
    appendFileSync(file, 'garbage\n4 0.2 3\n')
    await waitFor(() => points(run, 'loss').length === 3, 'the line after the garbage')
    const lossLogs = logs.filter((l) => l.includes(file))
    expect(lossLogs).toHaveLength(1)
    expect(lossLogs[0]).toMatch(/line 2: expected 2, 3 or 5 fields/)
    expect(logs.some((l) => l.includes(join(broken, 'meta.yaml')))).toBe(true)
    rmSync(broken, { recursive: true })
  })
})

describe('file store: deleted experiments, tags and dataset inputs', () => {
  it('reads experiments in .trash as deleted, and follows moves into and out of .trash without duplicating points', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('trashy')
    const run = w.createRun(exp, { name: 'r' })
    w.logMetric(run, 'loss', [{ timestamp: 1, value: 1, step: 0 }, { timestamp: 2, value: 0.5, step: 1 }])
    const gone = w.createExperiment('gone')
    mkdirSync(join(root, '.trash'))
    renameSync(join(root, gone), join(root, '.trash', gone))
    writeFileSync(join(root, '.trash', gone, 'meta.yaml'), readFileSync(join(root, '.trash', gone, 'meta.yaml'), 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'))
    const { events } = await open(root)
    const stageOf = (id: string) => events.filter((e) => e.type === 'experiment' && e.experiment.experimentId === id).map((e) => e.type === 'experiment' && e.experiment.lifecycleStage).at(-1)
    expect(stageOf(gone)).toBe('deleted')

    // mlflow experiments delete: the folder moves to .trash with a deleted meta.yaml.
    const meta = join(root, exp, 'meta.yaml')
    writeFileSync(meta, readFileSync(meta, 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'))
    renameSync(join(root, exp), join(root, '.trash', exp))
    await waitFor(() => stageOf(exp) === 'deleted', 'the experiment deleted')
    // …and restore.
    const trashed = join(root, '.trash', exp, 'meta.yaml')
    writeFileSync(trashed, readFileSync(trashed, 'utf8').replace('lifecycle_stage: deleted', 'lifecycle_stage: active'))
    renameSync(join(root, '.trash', exp), join(root, exp))
    await waitFor(() => stageOf(exp) === 'active', 'the experiment restored')
    appendFileSync(w.metricPath(run, 'loss'), '3 0.25 2\n')
    const steps = () => {
      // Replays the events as the index does: a run-removed drops what came before.
      let list: number[] = []
      for (const e of events) {
        if (e.type === 'run-removed' && e.runId === run) list = []
        if (e.type === 'metrics' && e.batch.runId === run) list.push(...e.batch.step)
      }
      return list
    }
    await waitFor(() => steps().length === 3, 'the point appended after the restore')
    await new Promise((r) => setTimeout(r, 200))
    expect(steps()).toEqual([0, 1, 2])
    expect(events.some((e) => e.type === 'experiment-removed')).toBe(false)
    rmSync(join(root, '.trash', gone), { recursive: true })
    await waitFor(() => events.some((e) => e.type === 'experiment-removed' && e.experimentId === gone), 'the purged experiment to go')
  })

  it('reads experiment tags, run tag deletions and dataset inputs', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('tagged')
    w.setExperimentTag(exp, 'team', 'vision')
    const run = w.createRun(exp, { name: 'r', tags: { stage: 'dev' } })
    w.logInput(run, { name: 'cifar10', digest: 'abc123' }, 'training')
    const { events } = await open(root)
    expect(events.find((e) => e.type === 'experiment-tags')).toEqual({ type: 'experiment-tags', experimentId: exp, values: { team: 'vision' } })
    expect(events.find((e) => e.type === 'inputs')).toEqual({ type: 'inputs', runId: run, inputs: [{ name: 'cifar10', digest: 'abc123', sourceType: 'local', context: 'training' }] })
    w.deleteTag(run, 'stage')
    await waitFor(() => events.some((e) => e.type === 'tags' && e.runId === run && e.removed?.includes('stage')), 'the tag deletion')
    w.setExperimentTag(exp, 'team', 'nlp')
    await waitFor(() => events.some((e) => e.type === 'experiment-tags' && e.values.team === 'nlp'), 'the experiment tag change')
  })

  it('reads dataset inputs logged after the scan: the first (its inputs folder new) and the next', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('later')
    const run = w.createRun(exp, { name: 'r' })
    const { events } = await open(root)
    const inputsOf = () => events.filter((e): e is Extract<StoreEvent, { type: 'inputs' }> => e.type === 'inputs' && e.runId === run).at(-1)?.inputs.map((i) => i.name)
    expect(inputsOf()).toBeUndefined()
    w.logInput(run, { name: 'train-set', digest: 'a1' }, 'training')
    await waitFor(() => inputsOf()?.length === 1, 'the first input')
    w.logInput(run, { name: 'eval-set', digest: 'b2' }, 'evaluation')
    await waitFor(() => inputsOf()?.length === 2, 'the second input')
    expect(inputsOf()!.sort()).toEqual(['eval-set', 'train-set'])
  })
})

describe('file store: bad input is reported once and skipped, the rest is read', () => {
  it('survives a 10 MB line, a 20 MB line, binary junk, a FIFO, a symlink loop and a malformed meta.yaml', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('hostile')
    const run = w.createRun(exp, { name: 'r' })
    const metrics = join(w.runDir({ experimentId: exp, runId: run }), 'metrics')
    writeFileSync(join(metrics, 'long'), `1 0.5 0\n${'x'.repeat(10 * 1024 * 1024)}\n2 0.25 1\n`)
    writeFileSync(join(metrics, 'longer'), `1 0.5 0\n${'7'.repeat(20 * 1024 * 1024)}\n2 0.25 1\n`)
    writeFileSync(join(metrics, 'junk'), Buffer.concat([Buffer.from('1 1 0\n'), Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919) % 256)), Buffer.from('\n2 2 1\n')]))
    execFileSync('mkfifo', [join(metrics, 'fifo')])
    symlinkSync(metrics, join(metrics, 'loop'))
    symlinkSync(join(metrics, 'self'), join(metrics, 'self'))
    const broken = w.createRun(exp, { name: 'broken' })
    writeFileSync(join(w.runDir({ experimentId: exp, runId: broken }), 'meta.yaml'), 'run_id: [unclosed\n')
    w.logMetric(run, 'fine', [{ timestamp: 1, value: 3, step: 0 }])

    const { logs, points, source } = await open(root)
    expect(points(run, 'long').map((p) => p[2])).toEqual([0, 1])
    expect(points(run, 'longer').map((p) => p[2])).toEqual([0, 1])
    expect(points(run, 'junk').map((p) => p[1])).toEqual([1, 2])
    expect(points(run, 'fine')).toEqual([[1, 3, 0]])
    const about = (name: string) => logs.filter((l) => l.includes(`${join(metrics, name)}:`))
    expect(about('long')).toHaveLength(1)
    expect(about('long')[0]).toMatch(/line 2: expected 2, 3 or 5 fields, found 1/)
    expect(about('longer')).toHaveLength(1)
    expect(about('longer')[0]).toMatch(/line 2: longer than \d+ bytes; skipped/)
    expect(about('junk')).toHaveLength(1)
    expect(about('fifo')).toEqual([expect.stringMatching(/not a regular file; skipped/)])
    expect(logs.filter((l) => l.includes(`${broken}/meta.yaml`))).toHaveLength(1)
    // Still alive and tailing.
    w.logMetric(run, 'fine', [{ timestamp: 2, value: 4, step: 1 }])
    await waitFor(() => points(run, 'fine').length === 2, 'a point after all that')
    await source.idle()
  })
})

describe('initial scan in worker threads', () => {
  it('reads every run, param and point, and keeps tailing from where the workers stopped', async () => {
    const root = join(scratch(), 'mlruns')
    const w = new MlflowFileStoreWriter(root)
    const exp = w.createExperiment('many')
    const runs = Array.from({ length: 40 }, (_, r) => {
      const id = w.createRun(exp, { name: `r${r}`, params: { lr: String(r) } })
      w.logMetric(id, 'loss', Array.from({ length: 50 }, (_, s) => ({ timestamp: s, value: r + s / 100, step: s })))
      return id
    })
    const events: StoreEvent[] = []
    const source = new FileStoreSource(root, { log: () => {}, scanThreads: 2, minRunsForWorkers: 1 })
    cleanups.push(() => source.close())
    await source.start((batch) => {
      events.push(...batch)
    })
    const points = (runId: string) => events.flatMap((e) => (e.type === 'metrics' && e.batch.runId === runId ? [...e.batch.step] : []))
    expect(new Set(events.flatMap((e) => (e.type === 'run' ? [e.run.runId] : []))).size).toBe(40)
    expect(events.filter((e) => e.type === 'params').map((e) => e.type === 'params' && e.values.lr).sort()).toEqual(Array.from({ length: 40 }, (_, r) => String(r)).sort())
    for (const id of runs) expect(points(id)).toEqual(Array.from({ length: 50 }, (_, s) => s))
    appendFileSync(w.metricPath(runs[7]!, 'loss'), '99 1 50\n')
    await waitFor(() => points(runs[7]!).length === 51, 'the point appended after the scan')
    expect(points(runs[7]!).at(-1)).toBe(50)
  })
})
