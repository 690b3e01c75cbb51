/*
 * What every operator command is made of, and the helpers they share.
 * - a command declares its words, positional arguments, string options and flags; run-cli.ts parses, checks
 *   the required options (before any database is opened) and the region, then calls `run`
 * - commands talk only through `out` and `err`, one line per call, and answer an exit code:
 *   0 done, 1 could not run, 2 an import finished with rejected rows
 * - times print as ISO 8601 UTC to the second; an absent value prints as "—"
 */
import type { Kysely } from 'kysely'
import { type Account, findAccountByLogin } from '../accounts/account.repository.js'
import type { Config } from '../config/load.js'
import type { EnvironmentVariables } from '../config/schema.js'
import type { Database } from '../db/schema.js'

export interface CliIo {
  env: EnvironmentVariables
  stdout: (line: string) => void
  stderr: (line: string) => void
  /** Progress that rewrites itself on a terminal (the import's row counter); dropped when absent. */
  progress?: (text: string) => void
  /** A database to use instead of the configured one: it is neither opened, checked nor closed. */
  db?: Kysely<Database>
  now?: () => Date
}

export interface CommandInput {
  /** Positional arguments after the command words. */
  args: string[]
  values: Partial<Record<string, string>>
  /** The flags given (the options named in `flags`, which take no value). */
  flags: ReadonlySet<string>
}

export interface CommandContext {
  config: Config
  out: (line: string) => void
  err: (line: string) => void
  progress: (text: string) => void
  now: () => Date
  /** Runs with the injected database, or the configured one (checked for pending migrations when `prepare`). */
  withDatabase: (run: (db: Kysely<Database>) => Promise<number>, options?: { prepare: boolean }) => Promise<number>
}

export interface CliCommand {
  /** The command words, e.g. "accounts show". */
  name: string
  /** Placeholders of the positional arguments, all required, e.g. ["LOGIN"]. */
  arguments?: readonly string[]
  /** Everything after the command words in the usage line. */
  synopsis: string
  summary: string
  /** Option name → its line in the command's help. */
  options?: Readonly<Record<string, string>>
  /** The options that take no value, given or not (`--contacts-verified`); their help lines are in `options`. */
  flags?: readonly string[]
  /** Option name → why the command cannot run without it. */
  required?: Readonly<Record<string, string>>
  run: (context: CommandContext, input: CommandInput) => Promise<number>
}

export const operatorOption = '--operator NAME  who makes the change (stored in the audit trail)'
export const operatorRequired = 'every change is recorded with the name of the operator who made it'
export const regionOption = '--region R       the region of the login (a code under config/regions)'
export const regionRequired = 'a login is unique only within its region'

export function usageLine(command: CliCommand): string {
  return `diary-bridge ${command.name}${command.synopsis === '' ? '' : ` ${command.synopsis}`}`
}

export function formatTime(value: Date | null | undefined): string {
  return value ? value.toISOString().replace(/\.\d{3}Z$/, 'Z') : '—'
}

export function orDash(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '—' : value
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`
}

export function fullName(account: Pick<Account, 'familyName' | 'givenName' | 'patronymic'>): string {
  return [account.familyName, account.givenName, account.patronymic].filter(Boolean).join(' ')
}

/** "ivanova.m (29)": how every command names an account. */
export function accountLabel(account: Pick<Account, 'login' | 'region'>): string {
  return `${account.login} (${account.region})`
}

/**
 * The account of LOGIN in the region, or undefined after saying on stderr that there is none. An
 * erased account has no login any more (its row's login is its id): it is none, whatever is typed.
 */
export async function findAccountOrSay(
  context: CommandContext,
  db: Kysely<Database>,
  region: string,
  login: string,
): Promise<Account | undefined> {
  const found = await findAccountByLogin(db, region, login)
  const account = found?.state === 'erased' ? undefined : found
  if (account === undefined) context.err(`no account with login "${login}" in region ${region}`)
  return account
}

/** The values the parser guarantees: required options are checked before `run` is called. */
export function requiredValue(input: CommandInput, name: string): string {
  const value = input.values[name]
  if (value === undefined) throw new Error(`--${name} was not checked before the command ran`)
  return value
}

/** A positional argument the parser guarantees (their count is checked before `run` is called). */
export function argument(input: CommandInput, index: number): string {
  const value = input.args[index]
  if (value === undefined) throw new Error(`argument ${index + 1} was not checked before the command ran`)
  return value
}
