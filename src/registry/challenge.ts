/**
 * The `WWW-Authenticate` header of a registry's 401 (RFC 7235): one or more challenges, each a
 * scheme and `key=value` or `key="quoted value"` parameters, e.g.
 * `Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:o/n:pull"`.
 */

export interface Challenge {
  /** Lowercase: `basic`, `bearer`. */
  readonly scheme: string
  readonly params: Readonly<Record<string, string>>
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+/

/** Every challenge in the header, in order; an unreadable tail is dropped. */
export function parseChallenges(header: string): Challenge[] {
  const challenges: { scheme: string; params: Record<string, string> }[] = []
  let rest = header
  const skip = (pattern: RegExp): void => {
    rest = rest.replace(pattern, '')
  }
  for (;;) {
    skip(/^[\s,]+/)
    const word = TOKEN.exec(rest)?.[0]
    if (!word) break
    rest = rest.slice(word.length)
    skip(/^\s*/)
    const current = challenges.at(-1)
    if (rest.startsWith('=') && current) {
      rest = rest.slice(1)
      skip(/^\s*/)
      current.params[word.toLowerCase()] = readValue()
    } else {
      challenges.push({ scheme: word.toLowerCase(), params: {} })
    }
  }
  return challenges

  function readValue(): string {
    if (!rest.startsWith('"')) {
      const value = TOKEN.exec(rest)?.[0] ?? ''
      rest = rest.slice(value.length)
      return value
    }
    let value = ''
    let i = 1
    for (; i < rest.length && rest[i] !== '"'; i++) {
      if (rest[i] === '\\') i++
      value += rest[i] ?? ''
    }
    rest = rest.slice(i + 1)
    return value
  }
}
