/** What makes a service image, as the image-building steps take it (parsed in action/inputs/image.ts). */

export interface OwnerRule {
  /** An absolute path inside the image; the rule covers it and everything below it. */
  readonly path: string
  /** user, user:group or :group, resolved against the image's accounts later. */
  readonly owner: string
}

export interface EnvVar {
  readonly name: string
  readonly value: string
}

export type SmokeUser = 'root' | 'user'

export interface ImageSettings {
  /** The files input: a directory in the workspace (real path), or undefined. */
  readonly files: string | undefined
  readonly filesOwners: readonly OwnerRule[]
  /** Whether files may replace files that are already in the image. */
  readonly filesReplace: boolean
  /** Shell command lines, each run with the image's /bin/sh -c in the container. */
  readonly run: readonly string[]
  /** The container's init command; undefined leaves LXC's default. */
  readonly entrypoint: readonly string[] | undefined
  /** user or user:group (names or ids of the image) that the entry point runs as. */
  readonly user: string | undefined
  readonly workdir: string | undefined
  readonly env: readonly EnvVar[]
  /** Who runs the smoke test (and the closure's view of it): root, or the user input. */
  readonly smokeTestUser: SmokeUser
}
