/** The errors the action tells apart when it reports a failure (see action/errors.ts). */
/** One wrong input: which one, what is wrong, and what to write instead. */
export interface InputProblem {
  readonly input: string
  readonly message: string
}

/** The user's input or configuration is wrong. Reported as annotations, without a stack. */
export class InputError extends Error {
  readonly problems: readonly InputProblem[]
  constructor(problems: readonly InputProblem[]) {
    super(
      problems.length === 1 && problems[0]
        ? `Input '${problems[0].input}': ${problems[0].message}`
        : `${problems.length} inputs are wrong:\n` +
            problems.map((p) => `- '${p.input}': ${p.message}`).join('\n'),
    )
    this.name = 'InputError'
    this.problems = problems
  }
}

/** The build itself failed for a reason the user must act on (not a bug of the action). */
export class BuildError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options)
    this.name = 'BuildError'
  }
}

/** An external command exited non-zero or could not be started. */
export class CommandError extends Error {
  readonly command: string
  readonly exitCode: number | undefined
  readonly tail: readonly string[]
  constructor(
    command: string,
    exitCode: number | undefined,
    tail: readonly string[],
    why?: string,
  ) {
    const status = why ?? (exitCode === undefined ? 'could not be run' : `exited with ${exitCode}`)
    const shown = tail.length ? `\n${tail.join('\n')}` : ''
    super(`${command} ${status}${shown}`)
    this.name = 'CommandError'
    this.command = command
    this.exitCode = exitCode
    this.tail = tail
  }
}

/** Where a push failed: the registry API step, for the message and for tests. */
export type PushStep = 'auth' | 'blob check' | 'blob mount' | 'blob upload' | 'manifest put'

/**
 * Pushing an image to a registry failed. The message names the reference, the registry, the step
 * and the HTTP status (or the network cause); it never holds a credential.
 */
export class PushError extends BuildError {
  readonly reference: string
  readonly registry: string
  readonly step: PushStep
  readonly status: number | undefined
  constructor(
    detail: { reference: string; registry: string; step: PushStep; status?: number },
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'PushError'
    this.reference = detail.reference
    this.registry = detail.registry
    this.step = detail.step
    this.status = detail.status
  }
}
