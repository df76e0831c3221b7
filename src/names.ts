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
} as const

export const State = {
  /** One JSON object, see state.ts. */
  run: 'lxcmin',
} as const

export const DEFAULT_PROFILE = 'default/linux/amd64/23.0/no-multilib'
export const BASELAYOUT = 'sys-apps/baselayout'
