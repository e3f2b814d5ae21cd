// Reads MLflow's `meta.yaml` files. PyYAML writes YAML 1.1, so parse in 1.1
// mode; ids are kept as strings whatever YAML thinks they are.
import { parse } from 'yaml'
import type { LifecycleStage, RunStatus } from '../protocol/index.ts'
import type { ExperimentRecord, RunRecord } from './events.ts'

const RUN_STATUS: Record<number, RunStatus> = {
  1: 'RUNNING', 2: 'SCHEDULED', 3: 'FINISHED', 4: 'FAILED', 5: 'KILLED',
}

export class MetaYamlError extends Error {}

function parseMapping(text: string): Record<string, unknown> {
  if (text.trim() === '') throw new MetaYamlError('file is empty')
  let doc: unknown
  try {
    // intAsBigInt keeps 18-digit ids exact if a writer left them unquoted.
    doc = parse(text, { version: '1.1', intAsBigInt: true })
  } catch (err) {
    throw new MetaYamlError(`not valid YAML: ${(err as Error).message.split('\n')[0]}`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new MetaYamlError('not a YAML mapping')
  }
  return doc as Record<string, unknown>
}

function str(v: unknown): string {
  if (v === null || v === undefined) return ''
  return String(v)
}

function millis(v: unknown): number | null {
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v)
  return null
}

function stage(v: unknown): LifecycleStage {
  return v === 'deleted' ? 'deleted' : 'active'
}

function runStatus(v: unknown): RunStatus {
  if (v === null || v === undefined) return 'RUNNING'
  const n = typeof v === 'bigint' ? Number(v) : v
  if (typeof n === 'number' && RUN_STATUS[n]) return RUN_STATUS[n]
  if (typeof n === 'string' && Object.values(RUN_STATUS).includes(n as RunStatus)) return n as RunStatus
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
