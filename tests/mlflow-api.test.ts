// MLflow's REST API as runwatch answers it, on a store written by real
// MLflow. Expected results come from reading the store's files directly.
import { appendFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { copyFixtureFileStore, tempDir } from './helpers/fixtures.ts'
import { serveStore } from './helpers/in-process-server.ts'

const CNN = '546982131953527485'
const TRANSFORMER = '366321049169809600'
let server: Awaited<ReturnType<typeof serveStore>>
let root: string
let cleanup: () => void

interface OracleRun { runId: string; experimentId: string; name: string; status: number; params: Record<string, string>; tags: Record<string, string>; acc: number; start: number }
let oracle: OracleRun[]

function readOracle(): OracleRun[] {
  const out: OracleRun[] = []
  for (const exp of [CNN, TRANSFORMER]) {
    for (const runId of readdirSync(join(root, exp)).filter((d) => /^[0-9a-f]{32}$/.test(d))) {
      const dir = join(root, exp, runId)
      const meta = readFileSync(join(dir, 'meta.yaml'), 'utf8')
      const field = (k: string) => new RegExp(`^${k}: (.*)$`, 'm').exec(meta)![1]!
      const kv = (section: string) => Object.fromEntries(readdirSync(join(dir, section)).map((k) => [k, readFileSync(join(dir, section, k), 'utf8')]))
      const accLines = readFileSync(join(dir, 'metrics', 'acc'), 'utf8').trim().split('\n')
      out.push({
        runId, experimentId: exp, name: field('run_name'), status: Number(field('status')), params: kv('params'), tags: kv('tags'),
        acc: Number(accLines.at(-1)!.split(' ')[1]), start: Number(field('start_time')),
      })
    }
  }
  return out
}

beforeAll(async () => {
  const dir = tempDir()
  cleanup = dir.remove
  root = copyFixtureFileStore('mlflow-3.6', dir.path)
  oracle = readOracle()
  // A NaN latest value, and a metric only one run has.
  const nanRun = oracle.find((r) => r.name === 'run-02')!
  appendFileSync(join(root, nanRun.experimentId, nanRun.runId, 'metrics', 'acc'), '1795674599999 nan 999\n')
  const onlyRun = oracle.find((r) => r.name === 'run-05')!
  writeFileSync(join(root, onlyRun.experimentId, onlyRun.runId, 'metrics', 'rare'), '1 0.5 0\n')
  server = await serveStore({ kind: 'file', path: root })
})
afterAll(async () => {
  await server?.close()
  cleanup?.()
})

const search = (body: object) => server.post('/api/2.0/mlflow/runs/search', { experiment_ids: [CNN, TRANSFORMER], ...body })
const names = (res: { body: any }) => (res.body.runs ?? []).map((r: any) => r.info.run_name).sort()
const expectNames = (runs: OracleRun[]) => runs.map((r) => r.name).sort()

describe('runs/search filters, against the files', () => {
  it.each([
    ["params.optimizer = 'sgd'", (r: OracleRun) => r.params.optimizer === 'sgd'],
    ["params.optimizer != 'sgd'", (r: OracleRun) => r.params.optimizer !== 'sgd'],
    ["params.lr LIKE '0.0%'", (r: OracleRun) => r.params.lr!.startsWith('0.0')],
    ["tags.model ILIKE 'CNN'", (r: OracleRun) => r.tags.model?.toLowerCase() === 'cnn'],
    ["attributes.status = 'FAILED'", (r: OracleRun) => r.status === 4],
    ["attributes.run_name LIKE 'run-1%'", (r: OracleRun) => r.name.startsWith('run-1')],
    ['attributes.start_time > 1795674588000', (r: OracleRun) => r.start > 1795674588000],
  ])('%s', async (filter, predicate) => {
    const res = await search({ filter })
    expect(res.status).toBe(200)
    const expected = expectNames(oracle.filter(predicate))
    expect(expected.length).toBeGreaterThan(0)
    expect(names(res)).toEqual(expected)
  })

  it.each(['>', '>=', '<', '<=', '=', '!='])('metrics.acc %s the median, NaN and missing values as MLflow treats them', async (op) => {
    const finite = oracle.filter((r) => r.name !== 'run-02').map((r) => r.acc).sort((a, b) => a - b)
    const pivot = finite[Math.floor(finite.length / 2)]!
    const res = await search({ filter: `metrics.acc ${op} ${pivot}` })
    const holds = (v: number) => ({ '>': v > pivot, '>=': v >= pivot, '<': v < pivot, '<=': v <= pivot, '=': v === pivot, '!=': v !== pivot })[op]!
    // run-02's latest acc is NaN: it only satisfies '!='.
    const expected = oracle.filter((r) => (r.name === 'run-02' ? op === '!=' : holds(r.acc)))
    expect(names(res)).toEqual(expectNames(expected))
  })

  it('never matches a run that lacks the key', async () => {
    expect(names(await search({ filter: 'metrics.rare >= 0' }))).toEqual(['run-05'])
    expect(names(await search({ filter: "params.missing = 'x'" }))).toEqual([])
    expect(names(await search({ filter: "params.missing != 'x'" }))).toEqual([])
  })

  it("filters by run_id IN and ANDs clauses", async () => {
    const two = oracle.slice(0, 2).map((r) => r.runId)
    const res = await search({ filter: `attributes.run_id IN ('${two[0]}', '${two[1]}') and params.optimizer != 'nope'` })
    expect(res.body.runs.map((r: any) => r.info.run_id).sort()).toEqual([...two].sort())
  })

  it('orders by a metric with NaN and missing values last, in both directions', async () => {
    for (const dir of ['DESC', 'ASC']) {
      const res = await search({ order_by: [`metrics.acc ${dir}`], experiment_ids: [CNN] })
      const got = res.body.runs.map((r: any) => r.info.run_name)
      const finite = oracle.filter((r) => r.experimentId === CNN && r.name !== 'run-02').sort((a, b) => (dir === 'DESC' ? b.acc - a.acc : a.acc - b.acc))
      expect(got).toEqual([...finite.map((r) => r.name), 'run-02'])
    }
  })

  it('orders by start_time DESC by default, and pages to the end without overlap or gaps', async () => {
    const all = await search({})
    const byStart = [...oracle].sort((a, b) => b.start - a.start || a.runId.localeCompare(b.runId)).map((r) => r.runId)
    expect(all.body.runs.map((r: any) => r.info.run_id)).toEqual(byStart)
    const seen: string[] = []
    let token: string | undefined
    do {
      const page = await search({ max_results: 3, order_by: ['params.lr DESC', 'metrics.acc'], ...(token ? { page_token: token } : {}) })
      expect(page.status).toBe(200)
      seen.push(...page.body.runs.map((r: any) => r.info.run_id))
      token = page.body.next_page_token
    } while (token)
    const oneShot = await search({ max_results: 100, order_by: ['params.lr DESC', 'metrics.acc'] })
    expect(seen).toEqual(oneShot.body.runs.map((r: any) => r.info.run_id))
    expect(new Set(seen).size).toBe(20)
  })

  it('separates active and deleted runs by run_view_type', async () => {
    const victim = oracle.find((r) => r.name === 'run-11')!
    const meta = join(root, TRANSFORMER, victim.runId, 'meta.yaml')
    writeFileSync(meta, readFileSync(meta, 'utf8').replace('lifecycle_stage: active', 'lifecycle_stage: deleted'))
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && names(await search({ run_view_type: 'DELETED_ONLY' })).length === 0) await new Promise((r) => setTimeout(r, 50))
    expect(names(await search({ run_view_type: 'DELETED_ONLY' }))).toEqual(['run-11'])
    expect(names(await search({}))).not.toContain('run-11')
    expect(names(await search({ run_view_type: 'ALL' }))).toHaveLength(20)
  })
})

describe('runs/search errors', () => {
  it.each([
    [{ filter: 'metrics.acc > 1 OR metrics.acc < 0' }, /'OR' is not supported/],
    [{ filter: 'bogus > 1' }, /unknown attribute 'bogus'/],
    [{ order_by: ['metrics.acc UP'] }, /invalid order_by clause/],
    [{ max_results: 0 }, /max_results must be an integer from 1 to 50000/],
    [{ max_results: 50001 }, /max_results/],
    [{ page_token: 'not-a-token' }, /invalid page_token/],
    [{ run_view_type: 'SOME' }, /view type/],
  ])('%j → 400 INVALID_PARAMETER_VALUE', async (body, message) => {
    const res = await search(body)
    expect(res.status).toBe(400)
    expect(res.body.error_code).toBe('INVALID_PARAMETER_VALUE')
    expect(res.body.message).toMatch(message)
  })

  it('refuses a 1 MB filter quickly and keeps serving', async () => {
    const started = performance.now()
    const res = await search({ filter: `params.x = '${'a'.repeat(1024 * 1024)}'` })
    expect(res.status).toBe(400)
    expect(performance.now() - started).toBeLessThan(1000)
    expect((await search({})).status).toBe(200)
  })

  it('answers a body that is not JSON with 400', async () => {
    const res = await server.post('/api/2.0/mlflow/runs/search', '{nope')
    expect(res.status).toBe(400)
  })
})

describe('the other read endpoints', () => {
  it('experiments/search, get and get-by-name in MLflow shapes', async () => {
    const res = await server.post('/api/2.0/mlflow/experiments/search', { filter: "name LIKE 'demo-%'", order_by: ['name DESC'] })
    expect(res.body.experiments.map((e: any) => e.name)).toEqual(['demo-transformer', 'demo-cnn'])
    expect(res.body.experiments[1]).toEqual({
      experiment_id: CNN, name: 'demo-cnn', artifact_location: `file:///home/alice/project/mlruns/${CNN}`, lifecycle_stage: 'active',
      creation_time: expect.any(Number), last_update_time: expect.any(Number), tags: [{ key: 'kind', value: 'cnn' }, { key: 'team', value: 'ml' }],
    })
    const byTag = await server.get(`/ajax-api/2.0/mlflow/experiments/search?filter=${encodeURIComponent("tags.kind = 'transformer'")}`)
    expect(byTag.body.experiments.map((e: any) => e.name)).toEqual(['demo-transformer'])
    expect((await server.get(`/api/2.0/mlflow/experiments/get?experiment_id=${CNN}`)).body.experiment.name).toBe('demo-cnn')
    expect((await server.get('/api/2.0/mlflow/experiments/get-by-name?experiment_name=demo-cnn')).body.experiment.experiment_id).toBe(CNN)
    const absent = await server.get('/api/2.0/mlflow/experiments/get-by-name?experiment_name=nope')
    expect([absent.status, absent.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST'])
    expect((await server.get('/api/2.0/mlflow/experiments/get?experiment_id=42')).status).toBe(404)
  })

  it('runs/get in the MLflow shape, 404 for an unknown run', async () => {
    const r = oracle.find((o) => o.name === 'run-13')!
    const res = await server.get(`/api/2.0/mlflow/runs/get?run_id=${r.runId}`)
    expect(res.body.run.info).toEqual({
      run_id: r.runId, run_uuid: r.runId, run_name: 'run-13', experiment_id: TRANSFORMER, user_id: 'unknown', status: 'RUNNING',
      start_time: r.start, artifact_uri: `file:///home/alice/project/mlruns/${TRANSFORMER}/${r.runId}/artifacts`, lifecycle_stage: 'active',
    })
    expect(res.body.run.data.params).toEqual(expect.arrayContaining(Object.entries(r.params).map(([key, value]) => ({ key, value }))))
    expect(res.body.run.data.metrics).toEqual(expect.arrayContaining([expect.objectContaining({ key: 'acc', value: r.acc, step: 499 })]))
    const absent = await server.get('/api/2.0/mlflow/runs/get?run_id=0123456789abcdef0123456789abcdef')
    expect([absent.status, absent.body.error_code]).toEqual([404, 'RESOURCE_DOES_NOT_EXIST'])
  })

  it('metrics/get-history pages through every point, NaN as "NaN"', async () => {
    const r = oracle.find((o) => o.name === 'run-02')!
    const all: any[] = []
    let token: string | undefined
    do {
      const res = await server.get(`/api/2.0/mlflow/metrics/get-history?run_id=${r.runId}&metric_key=acc&max_results=120${token ? `&page_token=${token}` : ''}`)
      all.push(...res.body.metrics)
      token = res.body.next_page_token
    } while (token)
    expect(all).toHaveLength(501)
    expect(all.map((m) => m.step)).toEqual([...Array.from({ length: 500 }, (_, i) => i), 999])
    expect(all.at(-1)).toEqual({ key: 'acc', value: 'NaN', timestamp: 1795674599999, step: 999 })
    // The server's share of the answer's time, for telling it from transfer and parsing.
    const timed = await fetch(`${server.url}/api/2.0/mlflow/metrics/get-history?run_id=${r.runId}&metric_key=acc`)
    expect(timed.headers.get('server-timing')).toMatch(/^read;dur=\d+\.\d, json;dur=\d+\.\d$/)
  })

  it('metrics/get-history-bulk-interval keeps each run\'s first and last step within max_results', async () => {
    const ids = oracle.filter((o) => o.experimentId === CNN).slice(0, 3).map((o) => o.runId)
    const res = await server.get(`/api/2.0/mlflow/metrics/get-history-bulk-interval?${ids.map((i) => `run_ids=${i}`).join('&')}&metric_key=loss&max_results=50`)
    expect(res.status).toBe(200)
    for (const id of ids) {
      const steps = res.body.metrics.filter((m: any) => m.run_id === id).map((m: any) => m.step)
      expect(steps[0]).toBe(0)
      expect(steps.at(-1)).toBe(499)
      expect(steps.length).toBeLessThanOrEqual(52)
      expect(steps.length).toBeGreaterThanOrEqual(50)
    }
    const ranged = await server.get(`/api/2.0/mlflow/metrics/get-history-bulk-interval?run_ids=${ids[0]}&metric_key=loss&start_step=10&end_step=20`)
    expect(ranged.body.metrics.map((m: any) => m.step)).toEqual(Array.from({ length: 11 }, (_, i) => 10 + i))
    const tooMany = await server.get(`/api/2.0/mlflow/metrics/get-history-bulk-interval?${Array.from({ length: 101 }, (_, i) => `run_ids=r${i}`).join('&')}&metric_key=loss`)
    expect(tooMany.status).toBe(400)
  })

  it('lists and serves artifacts next to a store copied from another machine', async () => {
    const r = oracle.find((o) => o.name === 'run-13')!
    const list = await server.get(`/api/2.0/mlflow/artifacts/list?run_id=${r.runId}`)
    expect(list.body.files).toEqual([{ path: 'notes', is_dir: true }, { path: 'plots', is_dir: true }])
    const notes = await server.get(`/api/2.0/mlflow/artifacts/list?run_id=${r.runId}&path=notes`)
    expect(notes.body.files).toEqual([{ path: 'notes/summary.txt', is_dir: false, file_size: expect.any(Number) }])
    const text = await fetch(`${server.url}/get-artifact?run_uuid=${r.runId}&path=notes/summary.txt`)
    expect(text.headers.get('content-type')).toMatch(/^text\/plain/)
    expect(await text.text()).toBe(readFileSync(join(root, TRANSFORMER, r.runId, 'artifacts', 'notes', 'summary.txt'), 'utf8'))
    const png = await fetch(`${server.url}/get-artifact?run_uuid=${r.runId}&path=plots/curves.png`)
    expect(png.headers.get('content-type')).toBe('image/png')
    expect(Buffer.from(await png.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG')
  })

  it('refuses artifact paths that leave the run\'s artifact folder', async () => {
    const r = oracle.find((o) => o.name === 'run-13')!
    const artifacts = join(root, TRANSFORMER, r.runId, 'artifacts')
    mkdirSync(join(artifacts, 'sneaky'))
    symlinkSync('/etc', join(artifacts, 'sneaky', 'etc'))
    for (const path of ['../meta.yaml', '../../../../etc/passwd', '/etc/passwd', 'notes/../../meta.yaml', 'sneaky/etc/passwd', '%2e%2e/meta.yaml']) {
      const res = await fetch(`${server.url}/get-artifact?run_uuid=${r.runId}&path=${encodeURIComponent(path)}`)
      expect(res.status === 400 || res.status === 404, `${path} → ${res.status}`).toBe(true)
      expect(await res.text()).not.toMatch(/root:|run_id:/)
    }
    const list = await server.get(`/api/2.0/mlflow/artifacts/list?run_id=${r.runId}&path=../..`)
    expect(list.status).toBe(400)
  })

  it('answers write endpoints with a read-only 501, unknown reads with 404', async () => {
    const res = await server.post('/api/2.0/mlflow/runs/create', { experiment_id: CNN })
    expect(res.status).toBe(501)
    expect(res.body).toEqual({ error_code: 'NOT_IMPLEMENTED', message: expect.stringMatching(/read-only/) })
    expect((await server.post('/ajax-api/2.0/mlflow/runs/log-metric', {})).status).toBe(501)
    expect((await server.get('/api/2.0/mlflow/nope')).status).toBe(404)
  })
})
