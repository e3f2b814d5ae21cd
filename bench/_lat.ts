import { benchLiveLatency } from '/work/main/bench/live-latency.ts'
const r = await benchLiveLatency({ runs: Number(process.argv[2]), hz: Number(process.argv[3]), clients: Number(process.argv[4]), seconds: 5 })
console.log(JSON.stringify(r))
process.exit(0)
