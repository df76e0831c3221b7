import { run } from '../post.ts'

await run()
process.exit(process.exitCode ?? 0)
