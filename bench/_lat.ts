import { benchLiveLatency } from './live-latency.ts'
console.log(JSON.stringify(await benchLiveLatency({ runs: 100, hz: 100, clients: Number(process.argv[2] ?? 20), seconds: 5 })))
process.exit(0)
