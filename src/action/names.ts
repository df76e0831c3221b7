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
  unprivileged: 'unprivileged',
  seccomp: 'seccomp',
  hostCheck: 'host-check',
  uploadLogs: 'upload-logs',
  cache: 'cache',
  cacheDir: 'cache-dir',
  cacheKeySuffix: 'cache-key-suffix',
  saveCache: 'save-cache',
  format: 'format',
  compression: 'compression',
  compressionLevel: 'compression-level',
  sourceDateEpoch: 'source-date-epoch',
  upload: 'upload',
  artifactName: 'artifact-name',
  retentionDays: 'retention-days',
  minimize: 'minimize',
  keepFiles: 'keep-files',
  keepLocales: 'keep-locales',
  baseline: 'baseline',
  baselineBranch: 'baseline-branch',
  githubToken: 'github-token',
  maxIncrease: 'max-increase',
  minChange: 'min-change',
  failOn: 'fail-on',
  comment: 'comment',
  uploadReport: 'upload-report',
  files: 'files',
  filesOwners: 'files-owners',
  filesReplace: 'files-replace',
  run: 'run',
  entrypoint: 'entrypoint',
  user: 'user',
  workdir: 'workdir',
  env: 'env',
  smokeTestUser: 'smoke-test-user',
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
  tarball: 'tarball',
  tarballBytes: 'tarball-bytes',
  tarballSha256: 'tarball-sha256',
  metadataTarball: 'metadata-tarball',
  artifactId: 'artifact-id',
  artifactUrl: 'artifact-url',
  report: 'report',
  reportMarkdown: 'report-markdown',
  sizeDeltaBytes: 'size-delta-bytes',
  baseline: 'baseline',
  hostChanges: 'host-changes',
  logsArtifactId: 'logs-artifact-id',
} as const

export const State = {
  /** One JSON object, see action/state.ts. */
  run: 'lxcmin',
  /** The cache entries restored, for the post step to save. */
  cache: 'lxcmin-cache',
} as const

export const DEFAULT_PROFILE = 'default/linux/amd64/23.0/no-multilib'
export const BASELAYOUT = 'sys-apps/baselayout'
/** Merged second when the request needs it: see action/main.ts. */
export const VIRTUAL_LIBC = 'virtual/libc'
export const DEFAULT_CACHE_DIR = '/var/cache/lxcmin'
/** Set by the runner's administrator (e.g. in the runner's .env): more directories cache-dir may be below, separated by ':'. */
export const CACHE_ROOTS_ENV = 'LXCMIN_CACHE_ROOTS'
