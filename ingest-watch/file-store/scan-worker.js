// Worker entry: the scan worker is TypeScript, loaded through tsx.
import { register } from 'tsx/esm/api'

register()
await import('./scan-worker.ts')
