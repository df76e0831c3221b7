/** LXC's version as `lxc-execute --version` prints it, and the versions the action needs. */

/** lxc-execute brings its own static init and reads the key names below from 3.0 on. */
export const MIN_LXC = [3, 0] as const

export function parseLxcVersion(text: string): [number, number, number] | undefined {
  const m = /(\d+)\.(\d+)(?:\.(\d+))?/.exec(text)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined
}

/** Whether version v (major, minor, ...) is at least min (major, minor). */
export function atLeast(v: readonly number[], min: readonly [number, number]): boolean {
  const [major = 0, minor = 0] = v
  return major > min[0] || (major === min[0] && minor >= min[1])
}
