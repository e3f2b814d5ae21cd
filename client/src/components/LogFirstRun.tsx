// The empty store's hint: how to log a first run into the store being shown,
// named by its own tracking URI (file or SQLite), so that it can be pasted.
import { createResource } from 'solid-js'
import { fetchTrackingUri } from '../api.ts'

export function LogFirstRun() {
  const [uri] = createResource(() => fetchTrackingUri().catch(() => 'file:./mlruns'))
  return (
    <>
      Log one with MLflow:{' '}
      <code data-testid="log-first-run">{`import mlflow; mlflow.set_tracking_uri("${uri() ?? '…'}"); with mlflow.start_run(): mlflow.log_metric("loss", 0.5, step=0)`}</code>
    </>
  )
}
