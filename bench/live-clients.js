import { register } from 'tsx/esm/api'

register()
await import('./live-clients.ts')
