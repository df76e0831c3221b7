/**
 * The build's steps up to the packed, measured image, in the documented order: what each step
 * returns is what the next ones (and main's failure path) use.
 */
import { type CacheSession, openCache } from '../cache/session.ts'
import { configHash } from '../cache/keys.ts'
import {
  awaitHostSnapshot,
  type HostWatch,
  lookForChanges,
  type LookingForChanges,
  watchHost,
} from '../host/check-stage.ts'
import { type Host, preflight } from '../host/preflight.ts'
import { findCommands } from '../host/tools.ts'
import type { Sandbox } from '../host/sandbox.ts'
import { writeLxcConfig } from '../lxc/config.ts'
import { runCommands } from '../lxc/run-commands.ts'
import { smokeTest } from '../lxc/smoke.ts'
import { explained, makeConfFragment, minimizeRootfs } from '../minimize/stage.ts'
import { packImage } from '../pack/image.ts'
import type { PackResult } from '../pack/pack.ts'
import { BASELAYOUT, VIRTUAL_LIBC } from '../portage/atoms.ts'
import {
  type BinhostConfig,
  type ConfigRoot,
  etcPortage,
  VOLATILE_LINES,
} from '../portage/config-root.ts'
import type { PlanEntry } from '../portage/emerge.ts'
import {
  configurePortage,
  hostEroot,
  hostReposConf,
  mergeWithFallback,
  planRequest,
  pretend,
  startPretend,
  type Target,
} from '../portage/merge.ts'
import {
  checkReachable,
  refuseSource,
  reportProvenance,
  setUpBinhosts,
} from '../portage/binhost-stage.ts'
import { resolveInit, smokeRunAs } from '../rootfs/entrypoint.ts'
import { copyFiles } from '../rootfs/files.ts'
import { finishRootfs } from '../rootfs/finish.ts'
import { measure } from '../rootfs/measure.ts'
import type { SizeReport } from '../size/report.ts'
import { sizeReport } from '../size/stage.ts'
import { imageLicenses, sbomFormats } from '../sbom/sbom.ts'
import { writeImageSbom } from '../sbom/stage.ts'
import { createRunner, type Runner } from '../util/exec.ts'
import { settled } from '../util/promises.ts'
import { beginMerge, type EarlyMerge } from './early-merge.ts'
import type { RunEnv } from './env.ts'
import type { Inputs } from './inputs/inputs.ts'
import { ACTION_VERSION } from './names.ts'
import { step } from './step.ts'
import type { BuildReport } from './summary.ts'
import {
  emptyRootfs,
  type ImageLookup,
  type ImageMeta,
  keepImage,
  lookUpImage,
  restoreImage,
} from './image-cache.ts'

/**
 * Preflight's host, the runner that runs commands on it, the host's listing before the build, and
 * the host's repositories (for the Portage config root).
 */
export interface Begun {
  readonly host: Host
  readonly runner: Runner
  readonly watch: HostWatch | undefined
  readonly hostRepos: Promise<string>
}

export async function begin(inputs: Inputs, env: RunEnv): Promise<Begun> {
  const host = await step('Preflight', () => preflight(env.path, env.uid, inputs))
  const runner = createRunner(host.privilege)
  const ownDirs = [env.runnerTemp, env.workspace, ...(inputs.cache.dir ? [inputs.cache.dir] : [])]
  // Both under way now: the repositories until the Portage config root step reads them, the
  // listing until prepare waits for it, before the first emerge.
  const hostRepos = hostReposConf(runner, host.tools.portageq)
  // Handled: read by the Portage config root step, which reports its failure.
  const asked = settled(hostRepos)
  const watch =
    inputs.hostCheck === 'off' ? undefined : watchHost(runner, host.tools, ownDirs, asked)
  return { host, runner, watch, hostRepos }
}

export interface Prepared {
  readonly cache: CacheSession
  readonly config: ConfigRoot
  readonly target: Target
  readonly plan: { readonly entries: readonly PlanEntry[]; readonly onHost: readonly PlanEntry[] }
  /** The binary hosts, with binhost set. */
  readonly binhost: BinhostConfig | undefined
  readonly image: ImageLookup
  /** The merge of baselayout, begun with the plan. */
  readonly early: EarlyMerge | undefined
}

export async function prepare(
  inputs: Inputs,
  env: RunEnv,
  { host, runner, watch, hostRepos }: Begun,
  sandbox: Sandbox,
): Promise<Prepared> {
  const run = `${env.runId}-${env.runAttempt}`
  const cache = await openCache(
    { ...env, settings: inputs.cache, name: inputs.name, profile: inputs.profile, run },
    sandbox,
    runner,
    host.tools,
  )
  await step('LXC config', () => writeLxcConfig(sandbox, inputs))
  const binhost = inputs.binhost.hosts.length
    ? await step('Binary hosts', () =>
        setUpBinhosts(inputs.binhost, {
          runner,
          path: env.path,
          sandboxDir: sandbox.dir,
          pkgdir: cache.pkgdir,
          hostEroot: () => hostEroot(runner, host.tools.portageq),
        }),
      )
    : undefined
  const config = await step('Portage config root', () =>
    configurePortage(hostRepos, {
      configRoot: sandbox.configRoot,
      profile: inputs.profile,
      repositories: inputs.repositories,
      userConfig: inputs.config,
      workspace: env.workspace,
      use: inputs.use,
      jobs: env.jobs,
      dirs: {
        distdir: cache.distdir,
        pkgdir: cache.pkgdir,
        tmpdir: sandbox.tmpdir,
        logdir: sandbox.logs,
      },
      buildpkg: cache.enabled,
      extra: makeConfFragment(inputs.minimize, inputs.keepLocales),
      binhost,
    }),
  )
  const portage: Target = {
    ...host.tools,
    rootfs: sandbox.rootfs,
    configRoot: config.configRoot,
    usepkg: cache.enabled,
    getbinpkg: binhost !== undefined,
  }
  const atoms = inputs.packages.map((a) => a.text)
  await step('Restore cache', () => cache.restore(portage, config, atoms))
  const planned: Target = { ...portage, usepkg: cache.usesBinaries() }
  const request = [BASELAYOUT, ...atoms]
  // The plan's pretend writes nothing: it runs on an empty root of its own while the host's
  // listing ends, and is read below.
  const pretending = startPretend(runner, planned, request, sandbox.planRoot)
  // Handled: read by the Plan step, or waited for when the build fails before it.
  const pretended = settled(pretending)
  // Before the first emerge: restoring wrote only into the cache's own directories.
  if (watch)
    await step('Host snapshot', () => awaitHostSnapshot(watch)).catch(async (error: unknown) => {
      // No emerge outlives the build.
      await pretended
      throw error
    })
  // baselayout is merged while the plan ends, unless the plan decides how (binary hosts) or may
  // refuse what it merges into the build host (host-deps: deny).
  let early: EarlyMerge | undefined =
    binhost || inputs.hostDeps === 'deny'
      ? undefined
      : beginMerge(
          (write) => createRunner(runner.privilege, write),
          planned,
          [BASELAYOUT],
          // Not while the pretend may still read the binary packages.
          () => pretended.then(() => cache.rejectBinaries()),
        )
  try {
    const plan = await step('Plan', () =>
      planRequest(runner, planned, request, inputs.hostDeps, pretending),
    )
    // A host that cannot be read is not asked again by every merge.
    const target: Target = binhost
      ? { ...planned, getbinpkg: checkReachable(binhost, plan.unreachable, inputs.binhost.only) }
      : planned
    const image: ImageLookup =
      cache.enabled && inputs.cache.image
        ? await step('Image cache', () => lookUpImage(cache, inputs, plan.entries))
        : { status: 'off', key: undefined }
    if (early && image.status === 'hit') {
      await early.stop('the image cache has the image')
      early = undefined
      await emptyRootfs(runner, host.tools, sandbox.rootfs)
    }
    return { cache, config, target, plan, binhost, image, early }
  } catch (error) {
    await early?.stop('the build failed')
    throw error
  }
}

export interface Built {
  readonly report: Omit<BuildReport, 'uploaded'>
  readonly sandbox: Sandbox
  readonly packed: PackResult
  readonly size: { readonly report: SizeReport; readonly file: string }
  /** The host check's second half, under way (with host-check). */
  readonly looking: LookingForChanges | undefined
}

export async function assemble(
  inputs: Inputs,
  env: RunEnv,
  begun: Begun,
  sandbox: Sandbox,
  prepared: Prepared,
): Promise<Built> {
  const { host, runner } = begun
  const { cache, config, plan, image } = prepared
  const tar = (): string =>
    findCommands([['tar', 'tar']], env.path, 'The image cache needs tar').tar
  const restored =
    image.status === 'hit' && image.key
      ? await step('Restore image', async () => {
          const meta = await restoreImage(
            runner,
            { ...host.tools, tar: tar() },
            cache,
            image.key ?? '',
            sandbox.rootfs,
          )
          if (meta) writeLxcConfig(sandbox, inputs, undefined, meta.init)
          return meta
        })
      : undefined
  // A hit merges nothing: no package was built or fetched by this run.
  const made = restored
    ? { ...restored, built: [], binary: [], provenance: undefined }
    : await makeRootfs(inputs, begun, sandbox, prepared)
  // The host check's second half starts now and runs while the image is tested, packed, measured,
  // uploaded and pushed: from here on nothing writes outside the action's directories (the smoke
  // test runs in the container, on the sandbox's rootfs).
  const looking = begun.watch && lookForChanges(begun.watch)
  if (!restored && cache.savesImage())
    await step('Keep image', () => keepImage(runner, tar(), cache, image, sandbox.rootfs, made))
  const { minimized, init, built, binary, provenance } = made
  const files = { added: made.added }
  const smoke = explained(
    await step('Smoke test', () =>
      smokeTest(runner, sandbox, host.tools, inputs, smokeRunAs(inputs.image, init)),
    ),
    minimized,
  )
  const packed = await step('Pack', () =>
    packImage(
      runner,
      sandbox,
      inputs,
      env,
      init,
      inputs.pack.format === 'oci' ? imageLicenses(sandbox.rootfs, config.repos) : undefined,
    ),
  )
  const formats = sbomFormats(inputs.sbom)
  const sbom = formats.length
    ? await step('SBOM', () =>
        writeImageSbom(runner, {
          rootfs: sandbox.rootfs,
          repositories: config.repos,
          ownFiles: files.added,
          packed,
          name: inputs.name,
          formats,
          toolVersion: ACTION_VERSION,
          baseName: inputs.artifactName,
        }),
      )
    : []
  const sizeBytes = await step('Measure', () => measure(runner, host.tools.du, sandbox.rootfs))
  const profile = inputs.profile.repo
    ? `${inputs.profile.repo}:${inputs.profile.path}`
    : inputs.profile.path
  const size = await step('Size report', () =>
    sizeReport(
      runner,
      sandbox,
      host,
      {
        name: inputs.name,
        profile,
        commit: env.github.sha || null,
        ref: env.github.refName || null,
        configHash: configHash(etcPortage(config.configRoot), VOLATILE_LINES),
        tarballBytes: packed.bytes,
        added: files.added,
      },
      env.runnerTemp,
    ),
  )
  const report = {
    name: inputs.name,
    profile,
    plan: plan.entries,
    hostMerges: plan.onHost,
    packages: size.report.packages,
    sizeBytes,
    budget: inputs.sizeBudget,
    smoke,
    cache: cache.entries(),
    built,
    binary,
    provenance,
    packed,
    sbom,
    minimized,
    imageCache: restored ? 'hit' : image.status === 'hit' ? 'miss' : image.status,
  } as const
  return { report, sandbox, packed, size, looking }
}

/** The rootfs made in the documented order: the merges, Finish, Files, Run, Entry point, Minimize. */
async function makeRootfs(
  inputs: Inputs,
  begun: Begun,
  sandbox: Sandbox,
  { cache, target, plan, binhost, early }: Prepared,
): Promise<
  ImageMeta & {
    readonly built: readonly string[]
    readonly binary: readonly string[]
    readonly provenance: BuildReport['provenance']
  }
> {
  const { host, runner } = begun
  const atoms = inputs.packages.map((a) => a.text)
  const merge = (name: string, request: readonly string[]) =>
    step(`Emerge ${name}`, async () => {
      // binhost-only: what this merge would build from source fails it before anything is built.
      if (binhost && inputs.binhost.only)
        refuseSource((await pretend(runner, target, request)).entries, sandbox.rootfs, binhost)
      return mergeWithFallback(runner, target, request, () => cache.rejectBinaries())
    })
  const base = early
    ? await step(`Emerge ${BASELAYOUT}`, () => early.finish())
    : await merge(BASELAYOUT, [BASELAYOUT])
  // The profile's libc next, when the request needs it: once a libc is in ROOT, Portage adds
  // it to the RDEPEND of everything it builds there (bug 753500), so binary packages built
  // that way only match a root that has it already.
  const libc = plan.entries.some((e) => e.root !== '/' && e.cpv.startsWith(`${VIRTUAL_LIBC}-`))
    ? await merge(VIRTUAL_LIBC, [VIRTUAL_LIBC])
    : { built: [], binary: [] }
  const rest = await merge(atoms.join(' '), atoms)
  cache.markMerged()
  const built = [...base.built, ...libc.built, ...rest.built]
  const binary = [...base.binary, ...libc.binary, ...rest.binary]
  const provenance = binhost
    ? await step('Binary hosts: what came from where', () =>
        reportProvenance(runner, host.tools.rm, sandbox.rootfs, binhost, { built, binary }),
      )
    : undefined
  await step('Finish', () => finishRootfs(runner, host.tools, sandbox.rootfs))
  const files = await step('Files', () =>
    copyFiles(runner, sandbox.rootfs, host.tools, inputs.image),
  )
  if (inputs.image.run.length)
    await step('Run', () =>
      runCommands(runner, sandbox, host.tools, inputs.image.run, inputs.smokeTimeoutSeconds),
    )
  const init = await step('Entry point', () => {
    const resolved = resolveInit(sandbox.rootfs, inputs.image)
    writeLxcConfig(sandbox, inputs, undefined, resolved)
    return resolved
  })
  const minimized = await step(`Minimize (${inputs.minimize})`, () =>
    minimizeRootfs(runner, sandbox, host.tools, inputs, {
      added: files.added,
      entrypoint: inputs.image.entrypoint,
    }),
  )
  return { added: files.added, minimized, init, built, binary, provenance }
}
