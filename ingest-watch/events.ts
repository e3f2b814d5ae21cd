// The typed events a store reader emits, for the initial scan and the live
// tail alike, so the server has a single ingestion path.
import type { LifecycleStage, RunStatus } from '../protocol/index.ts'

export interface ExperimentRecord {
  experimentId: string
  name: string
  artifactLocation: string
  lifecycleStage: LifecycleStage
  creationTime: number | null
  lastUpdateTime: number | null
}

export interface RunRecord {
  runId: string
  experimentId: string
  name: string
  status: RunStatus
  startTime: number | null
  endTime: number | null
  lifecycleStage: LifecycleStage
  userId: string
  artifactUri: string
}

/** Points of one (run, metric key), columnar; steps and timestamps are integers. */
export interface MetricBatch {
  runId: string
  key: string
  timestamp: Float64Array
  value: Float64Array
  step: Float64Array
  /** Set by the index: the store-order position of the first point in its series. */
  firstSeq?: number
}

/** A dataset a run used, as `mlflow.log_input` records it. */
export interface DatasetInput {
  name: string
  digest: string
  sourceType: string
  /** The `mlflow.data.context` input tag: training, validation, … */
  context: string | null
}

export type StoreEvent =
  | { type: 'experiment'; experiment: ExperimentRecord }
  /** The experiment's complete set of tags. */
  | { type: 'experiment-tags'; experimentId: string; values: Record<string, string> }
  /** The experiment is gone from the store (its folder or row was purged). */
  | { type: 'experiment-removed'; experimentId: string }
  | { type: 'run'; run: RunRecord }
  | { type: 'params'; runId: string; values: Record<string, string> }
  /** Tags set (`values`) and deleted (`removed`, as `MlflowClient.delete_tag` does). */
  | { type: 'tags'; runId: string; values: Record<string, string>; removed?: string[] }
  | { type: 'metrics'; batch: MetricBatch }
  /** The run's complete list of dataset inputs. */
  | { type: 'inputs'; runId: string; inputs: DatasetInput[] }
  /** The run's folder or rows are gone (`mlflow gc`). */
  | { type: 'run-removed'; runId: string }

/** Receives events in batches; a source never calls it concurrently. */
export type EventSink = (events: StoreEvent[]) => void | Promise<void>

/** Something that reads a store, then tails it until closed. */
export interface StoreSource {
  /** Resolves once the initial scan has been handed to the sink. */
  start(sink: EventSink): Promise<void>
  close(): Promise<void>
}
