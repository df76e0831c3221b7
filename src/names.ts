/** Input, output and state names, declared once. They must match action.yml. */
export const Input = {
  packages: 'packages',
  profile: 'profile',
  config: 'config',
  repositories: 'repositories',
  use: 'use',
  name: 'name',
  smokeTest: 'smoke-test',
  smokeTimeout: 'smoke-timeout',
  sizeBudget: 'size-budget',
  lxcConfig: 'lxc-config',
  hostDeps: 'host-deps',
  keepSandbox: 'keep-sandbox',
  cache: 'cache',
  cacheDir: 'cache-dir',
  cacheKeySuffix: 'cache-key-suffix',
  saveCache: 'save-cache',
} as const
export type InputName = (typeof Input)[keyof typeof Input]

export const Output = {
  rootfs: 'rootfs',
  lxcConfig: 'lxc-config',
  sizeBytes: 'size-bytes',
  size: 'size',
  packages: 'packages',
  smokeTest: 'smoke-test',
  sandbox: 'sandbox',
  cacheHitDistfiles: 'cache-hit-distfiles',
  cacheHitBinpkgs: 'cache-hit-binpkgs',
} as const

export const State = {
  /** One JSON object, see state.ts. */
  run: 'lxcmin',
  /** The cache entries restored, for the post step to save. */
  cache: 'lxcmin-cache',
  /** Set once every package is merged: binary packages are worth saving from then on. */
  merged: 'lxcmin-merged',
} as const

export const DEFAULT_PROFILE = 'default/linux/amd64/23.0/no-multilib'
export const BASELAYOUT = 'sys-apps/baselayout'
export const DEFAULT_CACHE_DIR = '/var/cache/lxcmin'
