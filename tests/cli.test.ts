import { createServer } from 'node:net'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { copyFixtureFileStore, copyFixtureSqliteStore, tempDir } from './helpers/fixtures.ts'
import { spawnRunwatch, startRunwatch, type RunwatchProcess } from './helpers/runwatch-process.ts'

const running: RunwatchProcess[] = []
const cleanups: (() => void)[] = []
afterEach(async () => {
  for (const p of running.splice(0)) await p.stop()
  for (const fn of cleanups.splice(0)) fn()
})
function scratch(): string {
  const d = tempDir()
  cleanups.push(d.remove)
  return d.path
}

describe('runwatch command', () => {
  it('prints exactly one ready line on stdout and serves the store it was given', async () => {
    const dir = scratch()
    const store = copyFixtureFileStore('mlflow-3.6', dir)
    const p = await startRunwatch([store, '--port', '0'], dir)
    running.push(p)
    expect(p.stdout()).toMatch(/^runwatch listening on http:\/\/127\.0\.0\.1:\d+\n$/)
    const body = (await (await fetch(`${p.url}/api/experiments`)).json()) as { experiments: { name: string; runCount: number }[] }
    expect(body.experiments.map((e) => [e.name, e.runCount])).toEqual([['Default', 0], ['demo-cnn', 10], ['demo-transformer', 10]])
  })

  it('finds ./mlruns the way MLflow does when no store is given', async () => {
    const dir = scratch()
    copyFixtureFileStore('mlflow-2.17', dir)
    const p = await startRunwatch(['--port', '0'], dir)
    running.push(p)
    const body = (await (await fetch(`${p.url}/api/status`)).json()) as { store: { path: string; demo: boolean }; runs: number; memoryMb: Record<string, number> }
    expect(body.store).toMatchObject({ path: join(dir, 'mlruns'), demo: false })
    expect(body.runs).toBe(20)
    // What the process holds, and the shares of the JS heap and of DuckDB in it.
    expect(body.memoryMb.rss).toBeGreaterThan(body.memoryMb.jsHeap!)
    expect(body.memoryMb.jsHeap).toBeGreaterThan(0)
    expect(body.memoryMb.index).toBeGreaterThanOrEqual(0)
  })

  it('serves an SQLite store, and finds ./mlflow.db when there is no ./mlruns', async () => {
    const dir = scratch()
    copyFixtureSqliteStore('mlflow-3.6', dir)
    mkdirSync(join(dir, 'mlruns', '0', '1234'), { recursive: true }) // artifacts only, as MLflow ≥ 3.7 leaves them
    const p = await startRunwatch(['--port', '0'], dir)
    running.push(p)
    const status = (await (await fetch(`${p.url}/api/status`)).json()) as { store: { kind: string; path: string }; runs: number; points: number }
    expect(status).toMatchObject({ store: { kind: 'sqlite', path: join(dir, 'mlflow.db') }, runs: 20, points: 20_000 })
    const q = await startRunwatch([`sqlite:///${join(dir, 'mlflow.db')}`, '--port', '0'], '/')
    running.push(q)
    expect(((await (await fetch(`${q.url}/api/status`)).json()) as { runs: number }).runs).toBe(20)
  })

  it('starts the live demo in an empty folder and says so', async () => {
    const dir = scratch()
    const p = await startRunwatch(['--port', '0'], dir)
    running.push(p)
    expect(p.stderr()).toMatch(/serving the built-in live demo/)
    const body = (await (await fetch(`${p.url}/api/experiments`)).json()) as { experiments: { name: string }[] }
    expect(body.experiments.map((e) => e.name)).toContain('demo-sweep')
  })

  it('never writes the demo over runs it did not create', async () => {
    const dir = scratch()
    copyFixtureFileStore('mlflow-3.6', dir)
    const p = spawnRunwatch(['--demo', '--demo-dir', '.', '--port', '0'], dir)
    expect(await p.exited).toBe(1)
    expect(p.stderr()).toMatch(/mlruns already exists and was not written by the demo; choose another --demo-dir/)
    expect((await import('node:fs')).existsSync(join(dir, 'mlruns', '366321049169809600', 'meta.yaml'))).toBe(true)
  })

  it('answers a bad flag with the usage text and exit code 2', async () => {
    const p = spawnRunwatch(['--no-such-flag'], scratch())
    expect(await p.exited).toBe(2)
    expect(p.stderr()).toMatch(/unknown option --no-such-flag/)
    expect(p.stderr()).toMatch(/Usage: runwatch \[STORE\]/)
    expect(p.stdout()).toBe('')
  })

  it.each([
    [['/no/such/mlruns'], /store not found: \/no\/such\/mlruns does not exist/],
    [['postgresql://u@db/mlflow'], /unsupported store URI scheme 'postgresql:'/],
    [['sqlite:///mlflow.db'], /cannot read .*mlflow\.db: .* is not an MLflow tracking database \(no experiments, runs, metrics, params, tags table\)/],
    [['sqlite:///nope.db'], /store not found: .*nope\.db does not exist/],
  ])('refuses %j with one clear sentence and no stack trace', async (args, message) => {
    const dir = scratch()
    writeFileSync(join(dir, 'mlflow.db'), '')
    const p = spawnRunwatch([...args, '--port', '0'], dir)
    expect(await p.exited).toBe(1)
    expect(p.stderr()).toMatch(message)
    expect(p.stderr()).not.toMatch(/\n\s+at /)
    expect(p.stderr().trim().split('\n')).toHaveLength(1)
  })

  it('says the port is busy instead of crashing', async () => {
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    cleanups.push(() => blocker.close())
    const port = (blocker.address() as { port: number }).port
    const dir = scratch()
    mkdirSync(join(dir, 'store'))
    const p = spawnRunwatch(['store', '--port', String(port)], dir)
    expect(await p.exited).toBe(1)
    expect(p.stderr()).toMatch(new RegExp(`port ${port} on 127.0.0.1 is already in use`))
    expect(p.stderr()).not.toMatch(/\n\s+at /)
  })
})
