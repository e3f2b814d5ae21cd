// Writes an MLflow file store byte for byte as MLflow 3.x does (PyYAML
// safe_dump for meta.yaml, Python float repr in metric lines). Used by the
// built-in demo, the benchmarks and the tests; runwatch itself never writes
// to a user's store.
import { randomBytes } from 'node:crypto'
import { appendFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { RunStatus } from '../protocol/index.ts'

const STATUS_CODE: Record<RunStatus, number> = { RUNNING: 1, SCHEDULED: 2, FINISHED: 3, FAILED: 4, KILLED: 5 }

/** Python's repr() of a float: shortest round-trip digits, exponent outside [1e-4, 1e16). */
export function pythonFloatRepr(v: number): string {
  if (Number.isNaN(v)) return 'nan'
  if (v === Infinity) return 'inf'
  if (v === -Infinity) return '-inf'
  if (v === 0) return Object.is(v, -0) ? '-0.0' : '0.0'
  const abs = Math.abs(v)
  if (abs >= 1e16 || abs < 1e-4) {
    const [mant, exp] = v.toExponential().split('e') as [string, string]
    const e = Number(exp)
    return `${mant}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`
  }
  const s = String(v)
  return s.includes('.') ? s : `${s}.0`
}

// Plain scalars that YAML 1.1 would read as something other than a string,
// so PyYAML quotes them.
const YAML11_NON_STRING =
  /^(?:~|null|Null|NULL|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|[-+]?(?:0b[01_]+|0[0-7_]+|(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+|[1-9][0-9_]*(?::[0-5]?[0-9])+)|[-+]?(?:[0-9][0-9_]*)?\.[0-9.]*(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|=|<<)$/

function yamlString(s: string): string {
  const needsQuotes =
    s === '' ||
    YAML11_NON_STRING.test(s) ||
    /^[\s\-?:,[\]{}#&*!|>'"%@`]/.test(s) ||
    /\s$/.test(s) ||
    /: |\s#|[\n\t]/.test(s)
  return needsQuotes ? `'${s.replace(/'/g, "''")}'` : s
}

type YamlValue = string | number | null | never[]

/** A flat mapping as PyYAML's safe_dump(default_flow_style=False) writes it: keys sorted. */
export function pyYamlDump(doc: Record<string, YamlValue>): string {
  return Object.keys(doc)
    .sort()
    .map((k) => {
      const v = doc[k]!
      const text = v === null ? 'null' : Array.isArray(v) ? '[]' : typeof v === 'number' ? String(v) : yamlString(v)
      return `${k}: ${text}\n`
    })
    .join('')
}

export interface NewRun {
  name: string
  user?: string
  startTime?: number
  params?: Record<string, string>
  tags?: Record<string, string>
}

export interface MetricPoint {
  timestamp: number
  value: number
  step: number
}

interface RunMeta {
  experimentId: string
  runId: string
  name: string
  user: string
  startTime: number
  endTime: number | null
  status: RunStatus
  lifecycleStage: 'active' | 'deleted'
  deletedTime: number | null
}

export class MlflowFileStoreWriter {
  private readonly runs = new Map<string, RunMeta>()

  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true })
  }

  createExperiment(name: string, experimentId = randomExperimentId(), now = Date.now()): string {
    const dir = join(this.root, experimentId)
    mkdirSync(dir, { recursive: true })
    writeFileSync(
      join(dir, 'meta.yaml'),
      pyYamlDump({
        artifact_location: pathToFileURL(dir).href,
        creation_time: now,
        experiment_id: experimentId,
        last_update_time: now,
        lifecycle_stage: 'active',
        name,
      }),
    )
    return experimentId
  }

  createRun(experimentId: string, run: NewRun): string {
    const runId = randomBytes(16).toString('hex')
    const meta: RunMeta = {
      experimentId,
      runId,
      name: run.name,
      user: run.user ?? 'runwatch-demo',
      startTime: run.startTime ?? Date.now(),
      endTime: null,
      status: 'RUNNING',
      lifecycleStage: 'active',
      deletedTime: null,
    }
    const dir = this.runDir(meta)
    mkdirSync(join(dir, 'metrics'), { recursive: true })
    mkdirSync(join(dir, 'artifacts'), { recursive: true })
    this.runs.set(runId, meta)
    this.writeRunMeta(meta)
    const tags = {
      'mlflow.runName': run.name,
      'mlflow.user': meta.user,
      'mlflow.source.name': 'train.py',
      'mlflow.source.type': 'LOCAL',
      ...run.tags,
    }
    for (const [k, v] of Object.entries(run.params ?? {})) this.writeKeyFile(dir, 'params', k, v)
    for (const [k, v] of Object.entries(tags)) this.writeKeyFile(dir, 'tags', k, v)
    return runId
  }

  setTag(runId: string, key: string, value: string): void {
    this.writeKeyFile(this.runDir(this.meta(runId)), 'tags', key, value)
  }

  deleteTag(runId: string, key: string): void {
    rmSync(join(this.runDir(this.meta(runId)), 'tags', key))
  }

  setExperimentTag(experimentId: string, key: string, value: string): void {
    const path = join(this.root, experimentId, 'tags', key)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, value)
  }

  /** What `mlflow.log_input(dataset, context=…)` leaves in a file store. */
  logInput(runId: string, dataset: { name: string; digest: string; sourceType?: string }, context?: string): void {
    const meta = this.meta(runId)
    const datasetId = randomBytes(16).toString('hex')
    const datasetDir = join(this.root, meta.experimentId, 'datasets', datasetId)
    mkdirSync(datasetDir, { recursive: true })
    writeFileSync(
      join(datasetDir, 'meta.yaml'),
      pyYamlDump({ digest: dataset.digest, name: dataset.name, profile: null, schema: null, source: '{}', source_type: dataset.sourceType ?? 'local' }),
    )
    const inputDir = join(this.runDir(meta), 'inputs', randomBytes(16).toString('hex'))
    mkdirSync(inputDir, { recursive: true })
    const tags = context ? `tags:\n  mlflow.data.context: ${context}\n` : 'tags: {}\n'
    writeFileSync(
      join(inputDir, 'meta.yaml'),
      `destination_id: ${datasetId}\ndestination_type: RUN\nsource_id: ${datasetId}\nsource_type: DATASET\n${tags}`,
    )
  }

  /** Appends one line per point, as MLflow's log_metric / log_batch do. */
  logMetric(runId: string, key: string, points: MetricPoint[]): void {
    if (points.length === 0) return
    const path = join(this.runDir(this.meta(runId)), 'metrics', key)
    if (key.includes('/')) mkdirSync(dirname(path), { recursive: true })
    appendFileSync(path, metricLines(points))
  }

  endRun(runId: string, status: Exclude<RunStatus, 'RUNNING' | 'SCHEDULED'>, endTime = Date.now()): void {
    const meta = this.meta(runId)
    meta.status = status
    meta.endTime = endTime
    this.writeRunMeta(meta)
  }

  deleteRun(runId: string, now = Date.now()): void {
    const meta = this.meta(runId)
    meta.lifecycleStage = 'deleted'
    meta.deletedTime = now
    this.writeRunMeta(meta)
  }

  /** What `mlflow gc` does to a deleted run: its folder goes. */
  purgeRun(runId: string): void {
    const meta = this.meta(runId)
    rmSync(this.runDir(meta), { recursive: true, force: true })
    this.runs.delete(runId)
  }

  runDir(meta: { experimentId: string; runId: string }): string {
    return join(this.root, meta.experimentId, meta.runId)
  }

  metricPath(runId: string, key: string): string {
    return join(this.runDir(this.meta(runId)), 'metrics', key)
  }

  private meta(runId: string): RunMeta {
    const meta = this.runs.get(runId)
    if (!meta) throw new Error(`unknown run ${runId}`)
    return meta
  }

  private writeKeyFile(runDir: string, section: 'params' | 'tags', key: string, value: string): void {
    const path = join(runDir, section, key)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, value)
  }

  // Rewritten in place, not atomically, exactly like MLflow: readers must cope.
  private writeRunMeta(m: RunMeta): void {
    const dir = this.runDir(m)
    const doc: Record<string, YamlValue> = {
      artifact_uri: pathToFileURL(join(dir, 'artifacts')).href,
      end_time: m.endTime,
      entry_point_name: '',
      experiment_id: m.experimentId,
      lifecycle_stage: m.lifecycleStage,
      run_id: m.runId,
      run_name: m.name,
      source_name: '',
      source_type: 4,
      source_version: '',
      start_time: m.startTime,
      status: STATUS_CODE[m.status],
      tags: [],
      user_id: m.user,
    }
    if (m.deletedTime !== null) doc.deleted_time = m.deletedTime
    writeFileSync(join(dir, 'meta.yaml'), pyYamlDump(doc))
  }
}

export function metricLines(points: MetricPoint[]): string {
  let out = ''
  for (const p of points) out += `${p.timestamp} ${pythonFloatRepr(p.value)} ${p.step}\n`
  return out
}

/** MLflow's file store picks random 18-digit experiment ids. */
export function randomExperimentId(): string {
  const n = randomBytes(8).readBigUInt64BE() % 900_000_000_000_000_000n
  return String(n + 100_000_000_000_000_000n)
}
