// The demo, the benchmarks and the tests write stores with our writer: it
// must produce what real MLflow produces, checked against MLflow's own files.
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { describe, expect, it } from 'vitest'
import { pythonFloatRepr, pyYamlDump } from '../demo/mlflow-file-writer.ts'
import { parseExperimentMeta, parseRunMeta, MetaYamlError } from '../ingest-watch/meta-yaml.ts'
import { parseMetricLines } from '../ingest-watch/metric-lines.ts'
import { fixtureFileStore, MLFLOW_VERSIONS } from './helpers/fixtures.ts'

function metaFiles(root: string): string[] {
  const out: string[] = []
  for (const exp of readdirSync(root)) {
    out.push(join(root, exp, 'meta.yaml'))
    for (const run of readdirSync(join(root, exp))) {
      if (/^[0-9a-f]{32}$/.test(run)) out.push(join(root, exp, run, 'meta.yaml'))
    }
  }
  return out
}

describe.each(MLFLOW_VERSIONS)('files written by %s', (version) => {
  const root = fixtureFileStore(version)

  it('re-dumps every meta.yaml byte for byte', () => {
    const files = metaFiles(root)
    expect(files.length).toBe(23)
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      const doc = parse(text, { version: '1.1' }) as Record<string, string | number | null | never[]>
      expect(pyYamlDump(doc), file).toBe(text)
    }
  })

  it('re-prints every metric value as Python repr', () => {
    const run = readdirSync(join(root, readdirSync(root).find((e) => e !== '0')!)).find((r) => r.length === 32)!
    const exp = readdirSync(root).find((e) => e !== '0')!
    const text = readFileSync(join(root, exp, run, 'metrics', 'loss'), 'utf8')
    const lines = text.trimEnd().split('\n')
    const parsed = parseMetricLines(text)
    expect(parsed.value.length).toBe(500)
    parsed.value.forEach((v, i) => expect(pythonFloatRepr(v)).toBe(lines[i]!.split(' ')[1]))
  })

  it('reads experiment and run meta with ids as strings', () => {
    const files = metaFiles(root)
    const experiments = files.filter((f) => f.split('/').length === root.split('/').length + 2)
    const names = experiments.map((f) => parseExperimentMeta(readFileSync(f, 'utf8')).name).sort()
    expect(names).toEqual(['Default', 'demo-cnn', 'demo-transformer'])
    const exp = parseExperimentMeta(readFileSync(experiments.find((f) => !f.includes('/0/'))!, 'utf8'))
    expect(exp.experimentId).toMatch(/^\d{18}$/)
    const runs = files.filter((f) => !experiments.includes(f)).map((f) => parseRunMeta(readFileSync(f, 'utf8')))
    expect(runs.map((r) => r.name).sort()).toEqual(Array.from({ length: 20 }, (_, i) => `run-${String(i).padStart(2, '0')}`))
    expect(runs.filter((r) => r.status === 'RUNNING').map((r) => r.name)).toEqual(['run-13'])
    expect(runs.filter((r) => r.status === 'FAILED').map((r) => r.name)).toEqual(['run-07'])
    expect(runs.every((r) => /^[0-9a-f]{32}$/.test(r.runId) && r.experimentId === exp.experimentId || r.experimentId !== exp.experimentId)).toBe(true)
  })
})

describe('Python float repr', () => {
  it('matches Python for the cases that differ from JavaScript', () => {
    expect(pythonFloatRepr(1)).toBe('1.0')
    expect(pythonFloatRepr(1e16)).toBe('1e+16')
    expect(pythonFloatRepr(1e-5)).toBe('1e-05')
    expect(pythonFloatRepr(0.0001)).toBe('0.0001')
    expect(pythonFloatRepr(123456789012345680)).toBe('1.2345678901234568e+17')
    expect(pythonFloatRepr(NaN)).toBe('nan')
    expect(pythonFloatRepr(-Infinity)).toBe('-inf')
  })
})

describe('meta.yaml edge cases', () => {
  it('parses YAML 1.1: an unquoted 1e5 run name stays a string, unquoted 18-digit ids stay exact', () => {
    const run = parseRunMeta('run_id: abc\nrun_name: 1e5\nexperiment_id: 427061849284301234\nstatus: 3\n')
    expect(run.name).toBe('1e5')
    expect(run.experimentId).toBe('427061849284301234')
    expect(run.status).toBe('FINISHED')
  })
  it('uses the mlflow.runName tag when run_name is empty, RUNNING when status is missing, run_uuid of 2.x files', () => {
    const run = parseRunMeta("run_uuid: abc\nrun_name: ''\nexperiment_id: '1'\n", 'from-tag')
    expect(run).toMatchObject({ runId: 'abc', name: 'from-tag', status: 'RUNNING', lifecycleStage: 'active' })
  })
  it('rejects empty and half-written files so the reader retries', () => {
    expect(() => parseRunMeta('')).toThrow(MetaYamlError)
    expect(() => parseRunMeta('artifact_uri: file:///x\nend_ti')).toThrow(MetaYamlError)
  })
})
