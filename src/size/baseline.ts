/**
 * TEMPORARY: the import path action/inputs/inputs.ts still uses. Delete this file once parseInputs
 * calls action/inputs/gating.ts itself (it is the only importer; a domain module must not import
 * action/, so nothing else may use it).
 */
import { type GatingSettings, parseGatingInputs as parse } from '../action/inputs/gating.ts'
import { InputError, type InputProblem } from '../util/errors.ts'
import type { InputName } from '../util/names.ts'

export type { GatingSettings } from '../action/inputs/gating.ts'

/** The old shape: the settings, or the problems. */
export function parseGatingInputs(
  get: (name: InputName) => string,
  context: { readonly workspace: string; readonly sizeBudget: number | undefined },
): { settings: GatingSettings | undefined; problems: InputProblem[] } {
  try {
    return { settings: parse(get, context), problems: [] }
  } catch (error) {
    if (error instanceof InputError) return { settings: undefined, problems: [...error.problems] }
    throw error
  }
}
