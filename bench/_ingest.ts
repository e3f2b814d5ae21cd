import { benchIngest } from './ingest.ts'
const runs = Number(process.argv[2])
console.log(JSON.stringify(await benchIngest({ runs, metrics: 20, points: 100, params: 30, tags: 10 }, (process.argv[3] ?? 'file') as 'file')))
process.exit(0)
