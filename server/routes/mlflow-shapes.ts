// MLflow's JSON shapes, built as objects: the one definition of each shape
// (run-json.ts keeps runs' JSON as text, but builds that text with runJson).
import type { RunSummary } from '../../protocol/index.ts'

/** MLflow leaves unset fields out: undefined, null and empty lists go. */
export function omitEmpty<T extends Record<string, unknown>>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined || o[k] === null || (Array.isArray(o[k]) && (o[k] as unknown[]).length === 0)) delete o[k]
  return o
}

/** One latest value in a run's data.metrics. */
export function metricJson(key: string, m: RunSummary['metrics'][string]) {
  return { key, value: m.value, timestamp: m.timestamp, step: m.step }
}

export function runJson(r: RunSummary) {
  return omitEmpty({
    info: omitEmpty({
      run_id: r.runId,
      run_uuid: r.runId,
      run_name: r.name,
      experiment_id: r.experimentId,
      user_id: r.userId,
      status: r.status,
      start_time: r.startTime,
      end_time: r.endTime,
      artifact_uri: r.artifactUri,
      lifecycle_stage: r.lifecycleStage,
    }),
    data: omitEmpty({
      metrics: Object.entries(r.metrics).map(([key, m]) => metricJson(key, m)),
      params: Object.entries(r.params).map(([key, value]) => ({ key, value })),
      tags: Object.entries(r.tags).map(([key, value]) => ({ key, value })),
    }),
    inputs: r.inputs
      ? {
          dataset_inputs: r.inputs.map((d) => ({
            ...(d.context ? { tags: [{ key: 'mlflow.data.context', value: d.context }] } : {}),
            dataset: { name: d.name, digest: d.digest, source_type: d.sourceType },
          })),
        }
      : {},
  })
}
