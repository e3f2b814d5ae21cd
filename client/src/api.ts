import type { ExperimentSummary } from '../../protocol/index.ts'

async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path)
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status}`)
  return (await res.json()) as T
}

export async function fetchExperiments(): Promise<ExperimentSummary[]> {
  return (await getJson<{ experiments: ExperimentSummary[] }>('/api/experiments')).experiments
}

/** The experiment a user most likely wants: one with a running run, else the newest run; never an empty one. */
export function mostRecentlyActive(experiments: ExperimentSummary[]): ExperimentSummary | undefined {
  const score = (e: ExperimentSummary) => [e.runningCount > 0 ? 1 : 0, e.lastRunStart ?? -Infinity, e.runCount] as const
  return [...experiments].sort((a, b) => {
    const [x, y] = [score(a), score(b)]
    return y[0] - x[0] || y[1] - x[1] || y[2] - x[2]
  })[0]
}

export function liveSocketUrl(): string {
  const proto = location.protocol === 'https:' ? 'wss:' : 'ws:'
  return `${proto}//${location.host}/ws`
}
