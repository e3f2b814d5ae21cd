// Reads MLflow's `meta.yaml` files. PyYAML writes YAML 1.1, whose implicit
// types differ from 1.2 (an unquoted `1e5` is a string in 1.1). Every field's
// type is known, so scalars are read as text (the failsafe schema) and typed
// here: ids and names stay exactly as written.
import { parse } from 'yaml'
import type { LifecycleStage, RunStatus } from '../protocol/index.ts'
import type { DatasetInput, ExperimentRecord, RunRecord } from './events.ts'
import { readFlatMapping } from './flat-yaml.ts'

const RUN_STATUS: Record<number, RunStatus> = {
  1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED',
}

export class MetaYamlError extends Error {}

function parseMapping(text: string): Record<string, unknown> {
  if (text.trim() === '') throw new MetaYamlError('file is empty')
  const flat = readFlatMapping(text)
  if (flat) return flat
  let doc: unknown
  try {
    doc = parse(text, { version: '1.1', schema: 'failsafe' })
  } catch (err) {
    throw new MetaYamlError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new MetaYamlError('not a YAML mapping')
  }
  return doc as Record<string, unknown>
}

/** YAML 1.1 spellings of null, as PyYAML writes None. */
const NULLS = new Set(['', '~', 'null', 'Null', 'NULL'])

function str(v: unknown): string {
  return typeof v === 'string' && !NULLS.has(v) ? v : ''
}

function millis(v: unknown): number | null {
  return typeof v === 'string' && /^[-+]?\d+$/.test(v) ? Number(v) : null
}

function stage(v: unknown): LifecycleStage {
  return v === 'deleted' ? 'deleted' : 'active'
}

function runStatus(v: unknown): RunStatus {
  if (typeof v !== 'string' || NULLS.has(v)) return 'RUNNING'
  const byCode = /^\d+$/.test(v) ? RUN_STATUS[Number(v)] : undefined
  if (byCode) return byCode
  if (Object.values(RUN_STATUS).includes(v as RunStatus)) return v as RunStatus
  throw new MetaYamlError(`unknown run status ${JSON.stringify(String(v))}`)
}

export function parseExperimentMeta(text: string): ExperimentRecord {
  const m = parseMapping(text)
  const experimentId = str(m.experiment_id)
  if (!experimentId) throw new MetaYamlError('experiment_id is missing')
  return {
    experimentId,
    name: str(m.name),
    artifactLocation: str(m.artifact_location),
    lifecycleStage: stage(m.lifecycle_stage),
    creationTime: millis(m.creation_time),
    lastUpdateTime: millis(m.last_update_time),
  }
}

/** `runNameTag` is the `mlflow.runName` tag, used when `run_name` is empty. */
export function parseRunMeta(text: string, runNameTag?: string): RunRecord {
  const m = parseMapping(text)
  const runId = str(m.run_id) || str(m.run_uuid)
  if (!runId) throw new MetaYamlError('run_id is missing')
  return {
    runId,
    experimentId: str(m.experiment_id),
    name: str(m.run_name) || runNameTag || '',
    status: runStatus(m.status),
    startTime: millis(m.start_time),
    endTime: millis(m.end_time),
    lifecycleStage: stage(m.lifecycle_stage),
    userId: str(m.user_id),
    artifactUri: str(m.artifact_uri),
  }
}

/** `<run>/inputs/<id>/meta.yaml`: which dataset (`source_id`) a run used, and in what context. */
export function parseRunInputMeta(text: string): { datasetId: string; context: string | null } | undefined {
  const m = parseMapping(text)
  if (str(m.source_type) !== 'DATASET') return undefined
  const tags = m.tags !== null && typeof m.tags === 'object' ? (m.tags as Record<string, unknown>) : {}
  const context = str(tags['mlflow.data.context'])
  return { datasetId: str(m.source_id), context: context || null }
}

/** `<experiment>/datasets/<id>/meta.yaml`. */
export function parseDatasetMeta(text: string, context: string | null): DatasetInput {
  const m = parseMapping(text)
  return { name: str(m.name), digest: str(m.digest), sourceType: str(m.source_type), context }
}
