import { run } from '../main.ts'

await run()
// Open HTTP handles of the toolkit must not keep the step alive.
process.exit(process.exitCode ?? 0)
