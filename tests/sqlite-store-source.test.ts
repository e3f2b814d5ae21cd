import { fork } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { FileStoreSource } from '../ingest-watch/file-store/source.ts'
import { SqliteStoreSource } from '../ingest-watch/sqlite-store/source.ts'
import type { StoreEvent } from '../ingest-watch/events.ts'
import { collect, logicalContent } from './helpers/collect-events.ts'
import { copyFixtureSqliteStore, fixtureFileStore, fixtureSqliteStore, MLFLOW_VERSIONS, tempDir } from './helpers/fixtures.ts'
import { waitFor } from './helpers/wait.ts'

const cleanups: (() => unknown)[] = []
afterEach(async () => {
  for (const fn of cleanups.splice(0).reverse()) await fn()
})

async function openSqlite(path: string) {
  const logs: string[] = []
  const source = new SqliteStoreSource(path, { log: (m) => logs.push(m), pollMs: 50, fullDiffMs: 300 })
  cleanups.push(() => source.close())
  return { source, ...(await collect(source, logs)) }
}

function scratchDb(version: (typeof MLFLOW_VERSIONS)[number] = 'mlflow-3.6') {
  const dir = tempDir()
  cleanups.push(dir.remove)
  return copyFixtureSqliteStore(version, dir.path)
}

/** A writer connection, as MLflow's SQLAlchemy store has one. */
function writer(path: string) {
  const db = new Database(path, { timeout: 5000 })
  cleanups.push(() => db.close())
  return db
}

describe.each(MLFLOW_VERSIONS)('the two readers on stores written by %s', (version) => {
  it('give the same logical content for the file store and the SQLite store', async () => {
    const logs: string[] = []
    const fileSource = new FileStoreSource(fixtureFileStore(version), { log: (m) => logs.push(m) })
    cleanups.push(() => fileSource.close())
    const fromFiles = await collect(fileSource, logs)
    const fromSqlite = await openSqlite(scratchDb(version))
    const a = logicalContent(fromFiles.events) as { runs: Record<string, unknown>; experiments: Record<string, unknown> }
    const b = logicalContent(fromSqlite.events) as { runs: Record<string, unknown>; experiments: Record<string, unknown> }
    expect(Object.keys(b.runs).sort()).toHaveLength(20)
    expect(b.experiments['demo-transformer']).toEqual({ kind: 'transformer', team: 'ml' })
    expect(b).toEqual(a)
  })
})

describe('SQLite store reader', () => {
  it('reads a large metrics table in worker threads, each point once, and tails after it', async () => {
    const path = scratchDb()
    const logs: string[] = []
    const source = new SqliteStoreSource(path, { log: (m) => logs.push(m), pollMs: 50, workerThresholdRows: 1000 })
    cleanups.push(() => source.close())
    const { events, points } = await collect(source, logs)
    const runs = events.flatMap((e) => (e.type === 'run' ? [e.run.runId] : []))
    // Ranges come back from the workers in any order; each point exactly once.
    for (const run of runs) expect(points(run, 'loss').map((p) => p[2]).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i))
    const w = writer(path)
    w.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)').run('loss', 1, 1, runs[0], 777)
    await waitFor(() => points(runs[0]!, 'loss').length === 501, 'the row written after the scan')
  })

  it('hands on the workers\' points only after the runs, params and tags, however slowly the index takes those in', async () => {
    const path = scratchDb()
    const source = new SqliteStoreSource(path, { log: () => undefined, pollMs: 50, workerThresholdRows: 1000 })
    cleanups.push(() => source.close())
    const events: StoreEvent[] = []
    // The workers start reading before the small tables are compared; an index slow to take those in must not see points first.
    await source.start(async (batch) => {
      if (batch.some((e) => e.type === 'run')) await new Promise((r) => setTimeout(r, 1500))
      events.push(...batch)
    })
    const firstPoints = events.findIndex((e) => e.type === 'metrics')
    expect(firstPoints).toBeGreaterThan(0)
    expect(firstPoints).toBeGreaterThan(events.findLastIndex((e) => e.type === 'run' || e.type === 'params' || e.type === 'tags'))
  })

  it('gives the same events from worker threads as from the main thread, NaN and ±Inf sentinels included', async () => {
    const path = scratchDb()
    const w = writer(path)
    const run = w.prepare('SELECT run_uuid FROM runs LIMIT 1').pluck().get() as string
    const insert = w.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)')
    insert.run('odd', 0, 1, run, 1, 1)
    insert.run('odd', 1.7976931348623157e308, 2, run, 2, 0)
    insert.run('odd', -1.7976931348623157e308, 3, run, 3, 0)
    insert.run('odd', 0.1, 4, run, 4, 0)
    const read = async (workerThresholdRows: number) => {
      const logs: string[] = []
      const source = new SqliteStoreSource(path, { log: (m) => logs.push(m), pollMs: 50, workerThresholdRows })
      cleanups.push(() => source.close())
      return logicalContent((await collect(source, logs)).events)
    }
    const inWorkers = await read(1)
    expect(inWorkers).toEqual(await read(Number.MAX_SAFE_INTEGER))
    const runs = Object.values((inWorkers as { runs: Record<string, { metrics: Record<string, [number, number][]> }> }).runs)
    expect(runs.flatMap((r) => r.metrics.odd ?? [])).toEqual([[1, NaN], [2, Infinity], [3, -Infinity], [4, 0.1]])
  })

  it('reads params and tags whose values hold the ASCII separators its text reads use', async () => {
    const path = scratchDb()
    const w = writer(path)
    const run = w.prepare('SELECT run_uuid FROM runs LIMIT 1').pluck().get() as string
    w.prepare('INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)').run('odd', 'a\u001fb\u001ec', run)
    w.prepare('INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)').run('odd\u001ekey', 'v', run)
    const { events } = await openSqlite(path)
    const values = (type: 'params' | 'tags') => Object.assign({}, ...events.flatMap((e) => (e.type === type && e.runId === run ? [e.values] : [])))
    expect(values('params').odd).toBe('a\u001fb\u001ec')
    expect(values('tags')['odd\u001ekey']).toBe('v')
    expect(Object.keys(values('params')).length).toBeGreaterThan(1)
  })

  it('reads the fixture with 18-digit-safe string ids and every point', async () => {
    const { events } = await openSqlite(fixtureSqliteStore('mlflow-2.17'))
    const exps = events.flatMap((e) => (e.type === 'experiment' ? [e.experiment] : []))
    expect(exps.map((e) => [e.experimentId, e.name])).toEqual([['0', 'Default'], ['1', 'demo-cnn'], ['2', 'demo-transformer']])
    expect(events.reduce((n, e) => n + (e.type === 'metrics' ? e.batch.value.length : 0), 0)).toBe(20_000)
  })

  it('tails new metric rows, NaN and ±Inf sentinels, new runs, status changes and removed runs', async () => {
    const path = scratchDb()
    const { events, points } = await openSqlite(path)
    const w = writer(path)
    const run = w.prepare(`SELECT run_uuid FROM runs WHERE status = 'RUNNING'`).pluck().get() as string
    const insert = w.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)')
    insert.run('loss', 0.5, 10, run, 1000, 0)
    insert.run('loss', 0, 11, run, 1001, 1)
    insert.run('loss', 1.7976931348623157e308, 12, run, 1002, 0)
    insert.run('loss', -1.7976931348623157e308, 13, run, 1003, 0)
    await waitFor(() => points(run, 'loss').length === 504, 'four new points')
    expect(points(run, 'loss').slice(500)).toEqual([[10, 0.5, 1000], [11, NaN, 1001], [12, Infinity, 1002], [13, -Infinity, 1003]])

    w.prepare(`INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id, status, start_time, source_version, lifecycle_stage, artifact_uri, experiment_id)
               VALUES ('newrun', 'fresh', 'LOCAL', '', '', 'bob', 'RUNNING', 5, '', 'active', '', 1)`).run()
    w.prepare(`INSERT INTO params (key, value, run_uuid) VALUES ('lr', '0.3', 'newrun')`).run()
    await waitFor(() => events.some((e) => e.type === 'params' && e.runId === 'newrun' && e.values.lr === '0.3'), 'the new run and its param')
    w.prepare(`UPDATE runs SET status = 'FINISHED', end_time = 99 WHERE run_uuid = ?`).run(run)
    await waitFor(() => events.some((e) => e.type === 'run' && e.run.runId === run && e.run.status === 'FINISHED' && e.run.endTime === 99), 'FINISHED')
    w.prepare(`DELETE FROM params WHERE run_uuid = 'newrun'`).run()
    w.prepare(`DELETE FROM runs WHERE run_uuid = 'newrun'`).run()
    await waitFor(() => events.some((e) => e.type === 'run-removed' && e.runId === 'newrun'), 'run-removed')
  })

  it('follows tag deletions, experiment tags and dataset inputs', async () => {
    const path = scratchDb()
    const { events } = await openSqlite(path)
    const w = writer(path)
    const run = w.prepare(`SELECT run_uuid FROM runs WHERE name = 'run-03'`).pluck().get() as string
    w.prepare(`DELETE FROM tags WHERE run_uuid = ? AND key = 'seed'`).run(run)
    await waitFor(() => events.some((e) => e.type === 'tags' && e.runId === run && e.removed?.includes('seed')), 'the tag deletion')
    w.prepare(`INSERT INTO experiment_tags (key, value, experiment_id) VALUES ('owner', 'ana', 1)`).run()
    w.prepare(`INSERT INTO datasets (dataset_uuid, experiment_id, name, digest, dataset_source_type, dataset_source) VALUES ('d1', 1, 'cifar10', 'abc', 'local', '{}')`).run()
    w.prepare(`INSERT INTO inputs (input_uuid, source_type, source_id, destination_type, destination_id) VALUES ('i1', 'DATASET', 'd1', 'RUN', ?)`).run(run)
    w.prepare(`INSERT INTO input_tags (input_uuid, name, value) VALUES ('i1', 'mlflow.data.context', 'training')`).run()
    await waitFor(() => events.some((e) => e.type === 'experiment-tags' && e.experimentId === '1' && e.values.owner === 'ana'), 'the experiment tag')
    await waitFor(() => events.some((e) => e.type === 'inputs' && e.runId === run), 'the dataset input')
    expect(events.find((e) => e.type === 'inputs')).toEqual({ type: 'inputs', runId: run, inputs: [{ name: 'cifar10', digest: 'abc', sourceType: 'local', context: 'training' }] })
  })

  it('sees a tag changed on a finished run by the periodic full comparison, also one set back to a value seen before', async () => {
    const path = scratchDb()
    const { events } = await openSqlite(path)
    const w = writer(path)
    const run = w.prepare(`SELECT run_uuid FROM runs WHERE status = 'RUNNING'`).pluck().get() as string
    const tagOf = () => events.flatMap((e) => (e.type === 'tags' && e.runId === run && 'note' in e.values ? [e.values.note] : []))
    w.prepare(`INSERT INTO tags (key, value, run_uuid) VALUES ('note', 'v1', ?)`).run(run)
    await waitFor(() => tagOf().at(-1) === 'v1', 'v1 while running')
    // Full comparisons (every 300 ms here) pass over the unchanged tables meanwhile.
    await new Promise((r) => setTimeout(r, 700))
    w.prepare(`UPDATE tags SET value = 'v2' WHERE run_uuid = ? AND key = 'note'`).run(run)
    await waitFor(() => tagOf().at(-1) === 'v2', 'v2 while running')
    w.prepare(`UPDATE runs SET status = 'FINISHED', end_time = 99 WHERE run_uuid = ?`).run(run)
    await waitFor(() => events.some((e) => e.type === 'run' && e.run.runId === run && e.run.status === 'FINISHED'), 'FINISHED')
    // The tables now read as they did at an earlier full comparison; only a full one looks at a finished run.
    w.prepare(`UPDATE tags SET value = 'v1' WHERE run_uuid = ? AND key = 'note'`).run(run)
    await waitFor(() => tagOf().at(-1) === 'v1', 'v1 again, on the finished run')
    expect(tagOf()).toEqual(['v1', 'v2', 'v1'])
  })

  it('reads everything again after gc and VACUUM shrink the metrics table', async () => {
    const path = scratchDb()
    const { events } = await openSqlite(path)
    const w = writer(path)
    const victim = w.prepare(`SELECT run_uuid FROM runs WHERE name = 'run-19'`).pluck().get() as string
    for (const t of ['metrics', 'latest_metrics', 'params', 'tags']) w.prepare(`DELETE FROM ${t} WHERE run_uuid = ?`).run(victim)
    w.prepare('DELETE FROM runs WHERE run_uuid = ?').run(victim)
    // Removing the last rows makes the largest rowid shrink, as `mlflow gc` can.
    const last = w.prepare('SELECT max(rowid) FROM metrics').pluck().get() as number
    w.prepare('DELETE FROM metrics WHERE rowid > ?').run(last - 10)
    w.exec('VACUUM')
    const before = events.length
    await waitFor(() => events.slice(before).some((e) => e.type === 'run-removed' && e.runId === victim), 'the purged run to go')
    const total = () => events.slice(before).reduce((n, e) => n + (e.type === 'metrics' ? e.batch.value.length : 0), 0)
    const expected = w.prepare('SELECT count(*) FROM metrics').pluck().get() as number
    await waitFor(() => total() === expected, `all ${expected} remaining points read again`)
  })

  it('never makes a writer in another process wait past its busy timeout', async () => {
    const path = scratchDb()
    const { points } = await openSqlite(path)
    const db = new Database(path, { readonly: true })
    const run = db.prepare(`SELECT run_uuid FROM runs WHERE status = 'RUNNING'`).pluck().get() as string
    db.close()
    const scriptDir = tempDir()
    cleanups.push(scriptDir.remove)
    const script = join(scriptDir.path, 'writer.cjs')
    writeFileSync(
      script,
      `const Database = require(${JSON.stringify(require.resolve('better-sqlite3'))})
       const db = new Database(process.argv[2], { timeout: 200 })
       const insert = db.prepare('INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)')
       let errors = 0
       for (let i = 0; i < 400; i++) {
         try { insert.run('loss', i, Date.now(), process.argv[3], 10000 + i) } catch (e) { errors++ }
         const until = Date.now() + 2; while (Date.now() < until) {}
       }
       process.send({ errors })`,
    )
    const child = fork(script, [path, run])
    const result = await new Promise<{ errors: number }>((resolve) => child.once('message', (m) => resolve(m as { errors: number })))
    expect(result.errors).toBe(0)
    await waitFor(() => points(run, 'loss').length === 900, 'every row the writer committed')
  })
})
