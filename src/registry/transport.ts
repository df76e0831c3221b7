/**
 * Which URLs the registry client may talk to. HTTPS always; plain HTTP only to a loopback host
 * (`localhost`, 127.0.0.0/8, `[::1]`), as Docker allows for localhost. Every request the client
 * sends, including URLs a registry hands back (upload locations, token realms), passes
 * checkTransport, so credentials cannot travel over HTTP to another machine.
 */
import { registryEndpoint } from './reference.ts'

/** True for `localhost`, 127.x.x.x and ::1, with or without a port or IPv6 brackets. */
export function isLoopbackHost(host: string): boolean {
  // `[v6]:port`, a bare v6 address (more than one colon), or `name:port`.
  const bare = host.startsWith('[')
    ? host.slice(1, host.indexOf(']'))
    : host.split(':').length > 2
      ? host
      : host.replace(/:[0-9]*$/, '')
  const name = bare.toLowerCase()
  if (name === 'localhost' || name === '::1') return true
  const octets = name.split('.')
  return (
    octets.length === 4 &&
    octets[0] === '127' &&
    octets.every((o) => /^[0-9]{1,3}$/.test(o) && Number(o) <= 255)
  )
}

/** The API's base URL for a registry as references name it: `https://ghcr.io`, `http://localhost:5000`. */
export function registryBaseUrl(registry: string): URL {
  const host = registryEndpoint(registry)
  return new URL(`${isLoopbackHost(host) ? 'http' : 'https'}://${host}`)
}

/** Why the client will not send a request to this URL, or undefined when it may. */
export function transportProblem(url: URL): string | undefined {
  if (url.protocol === 'https:') return undefined
  if (url.protocol === 'http:' && isLoopbackHost(url.host)) return undefined
  if (url.protocol === 'http:') {
    return `${url.origin} is plain HTTP to a host that is not loopback; only https:// is used there`
  }
  return `${url.protocol} is not a registry transport (https://, or http:// on loopback)`
}
