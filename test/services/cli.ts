// node test/services/cli.ts --dir DIR [--port N]
// Starts the services, prints one line of JSON ({"url", "env", "unset"}) to stdout and runs until
// SIGTERM or SIGINT. A shell script can do:
//   node test/services/cli.ts --dir "$tmp" > "$tmp/services.json" &
//   ... wait for the line, then export every key of .env and `unset` every name in .unset
import { parseArgs } from 'node:util'
import { UNSET_ENV_KEYS, startServices } from './server.ts'

const { values } = parseArgs({
  options: { dir: { type: 'string' }, port: { type: 'string' } },
  strict: true,
})
if (values.dir === undefined) {
  console.error('usage: node test/services/cli.ts --dir DIR [--port N]')
  process.exit(2)
}
const port = values.port === undefined ? undefined : Number(values.port)
if (port !== undefined && !(Number.isInteger(port) && port > 0 && port < 65536)) {
  console.error(`invalid --port ${values.port}`)
  process.exit(2)
}

const services = await startServices({
  dir: values.dir,
  ...(port === undefined ? {} : { port }),
}).catch((error: unknown) => {
  console.error(`services failed to start: ${String(error)}`)
  process.exit(1)
})
process.stdout.write(
  `${JSON.stringify({ url: services.url, env: services.env, unset: UNSET_ENV_KEYS })}\n`,
)

const shutdown = (signal: string): void => {
  services.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(`cleanup after ${signal} failed`, error)
      process.exit(1)
    },
  )
}
process.once('SIGTERM', () => shutdown('SIGTERM'))
process.once('SIGINT', () => shutdown('SIGINT'))
process.once('SIGHUP', () => shutdown('SIGHUP'))
