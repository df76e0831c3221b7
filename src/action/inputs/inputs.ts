/**
 * Reads every input once, validates all of them before anything is started, and reports every
 * problem at once (one annotation each). The groups are in build.ts, container.ts, cache.ts,
 * output.ts, image.ts, publish.ts and gating; the shared readers in read.ts.
 */
import type { CacheSettings } from '../../cache/cache.ts'
import { InputError } from '../../util/errors.ts'
import { Input } from '../../util/names.ts'
import { type BinhostInputs, parseBinhostInputs } from './binhost.ts'
import { type BuildInputs, parseBuildInputs } from './build.ts'
import { parseCacheInputs } from './cache.ts'
import { type GatingSettings, readGatingInputs } from './gating.ts'
import { type ContainerInputs, parseContainerInputs } from './container.ts'
import { type ImageSettings, parseImageInputs } from './image.ts'
import { type OutputInputs, parseOutputInputs } from './output.ts'
import { parsePublishInputs, type PublishInputs } from './publish.ts'
import { type GetInput, type InputContext, parseBoolean, reader } from './read.ts'

export type { HostCheck } from '../../host/check-stage.ts'
export type { HostDeps } from '../../portage/merge.ts'
export type { Profile } from '../../portage/profiles.ts'
export { cacheDirProblem } from './cache.ts'
export { checkSeccompPolicy, type LxcLine, parseDuration, type UploadLogs } from './container.ts'
export type { GetInput, InputContext }

export interface Inputs
  extends BuildInputs, BinhostInputs, ContainerInputs, OutputInputs, PublishInputs {
  readonly cache: CacheSettings
  readonly gating: GatingSettings
  /** files, run, entrypoint, user, workdir, env, smoke-test-user. */
  readonly image: ImageSettings
}

export function parseInputs(get: GetInput, context: InputContext): Inputs {
  const r = reader(get, context)
  const build = parseBuildInputs(r)
  const binhost = parseBinhostInputs(r, build?.profile)
  const output = parseOutputInputs(r, build?.name ?? 'lxcmin')
  const gating = readGatingInputs(r, output?.sizeBudget)
  const image = parseImageInputs(
    get,
    (input, text) => r.workspacePath(input, text, 'directory'),
    r.problem,
    (input, text) => parseBoolean(input, text, r.problem),
  )
  const container = parseContainerInputs(r, image)
  const cache = parseCacheInputs(r)
  const publish = parsePublishInputs(r, output?.pack.format ?? r.get(Input.format))
  // In the order action.yml lists the inputs, whatever order the groups read them in.
  const order: readonly string[] = Object.values(Input)
  const rank = (input: string) => (order.includes(input) ? order.indexOf(input) : order.length)
  const problems = [...r.problems].sort((a, b) => rank(a.input) - rank(b.input))
  if (
    problems.length ||
    !build ||
    !output ||
    !container ||
    !cache ||
    !gating ||
    !image ||
    !publish ||
    !binhost
  )
    throw new InputError(problems)
  return { ...build, ...binhost, ...container, ...output, ...publish, cache, gating, image }
}
