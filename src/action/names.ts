/** The action's own defaults. Input, output and state names are in util/names.ts. */
export const DEFAULT_PROFILE = 'default/linux/amd64/23.0/no-multilib'
export const DEFAULT_CACHE_DIR = '/var/cache/lxcmin'
/** Set by the runner's administrator (e.g. in the runner's .env): more directories cache-dir may be below, separated by ':'. */
export const CACHE_ROOTS_ENV = 'LXCMIN_CACHE_ROOTS'
/** package.json's version (a unit test keeps them equal): the SBOM's creator tool. */
export const ACTION_VERSION = '0.1.0'
