/*
 * The operator command line (`diary-bridge <command>`), as a function of its arguments and I/O.
 * - the command words come first ("accounts show"); then its arguments and options in any order
 * - `--help`/`-h` prints the usage of the command (or of a group: "accounts --help"), or of all
 * - refused before anything is opened: an unknown command or option, a missing argument or required
 *   option (`--operator` on every change); after the configuration loads: an unknown region
 * - with `io.db` the command uses that database as it is; otherwise it opens the configured one, checks
 *   it has every migration, and closes it
 * - a configuration or database that fails is thrown to the caller (cli.ts reports it)
 * Exit codes: 0 done; 1 could not run; 2 an import finished with rejected rows.
 */
import { parseArgs } from 'node:util'
import type { Kysely } from 'kysely'
import { loadConfig } from '../config/load.js'
import type { Database } from '../db/schema.js'
import { createLogger } from '../logger.js'
import { openConfiguredDatabase, prepareDatabase } from '../service.js'
import { connectors } from '../upstream/connectors.js'
import { accountCommands } from './account-commands.js'
import { activityCommands } from './activity-commands.js'
import { type CliCommand, type CliIo, type CommandContext, usageLine } from './command.js'
import { esiaCommands } from './esia-commands.js'
import { factorCommands } from './factor-commands.js'
import { linkCommands } from './link-commands.js'
import { operatorCommands } from './operator-commands.js'
import { operatorRoleCommands } from './operator-role-commands.js'
import { schoolCommands } from './school-commands.js'
import { stateCommands } from './state-commands.js'

export type { CliIo } from './command.js'

const supportCommands = [
  ...accountCommands,
  ...stateCommands,
  ...factorCommands,
  ...linkCommands,
  ...activityCommands,
  ...schoolCommands,
]
export const commands: readonly CliCommand[] = [
  ...operatorCommands,
  ...esiaCommands,
  ...supportCommands,
  ...operatorRoleCommands,
]

function usage(list: readonly CliCommand[]): string {
  const lines = (title: string, group: readonly CliCommand[]) => {
    const shown = group.filter((command) => list.includes(command))
    return shown.length === 0 ? [] : [title, ...shown.map((command) => `  ${usageLine(command)}`)]
  }
  return [
    ...lines('Running the service:', operatorCommands).flatMap((line, index) =>
      index === 0 && list === commands ? [line, '  diary-bridge serve'] : [line],
    ),
    ...lines('State Services (ESIA):', esiaCommands),
    ...lines('Support desk (docs/support-desk.md):', supportCommands),
    ...lines('Console roles (docs/accounts.md):', operatorRoleCommands),
    'Add --help after a command for its options. Exit codes: 0 done, 1 could not run, 2 an import rejected rows.',
    'Guides, installed with the service: docs/operating.md, docs/configuration.md, docs/state-services.md, docs/support-desk.md.',
  ].join('\n')
}

function commandHelp(command: CliCommand): string {
  const options = Object.values(command.options ?? {}).map((line) => `  ${line}`)
  return [
    `Usage: ${usageLine(command)}`,
    '',
    command.summary,
    ...(options.length > 0 ? ['', 'Options:', ...options] : []),
  ].join('\n')
}

function findCommand(argv: readonly string[]): CliCommand | undefined {
  const [first, second] = argv
  return (
    commands.find((command) => command.name === `${first} ${second}`) ??
    commands.find((command) => command.name === first)
  )
}

const isHelp = (arg: string) => arg === '--help' || arg === '-h'

export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const first = argv[0]
  if (first === undefined || isHelp(first)) {
    io.stdout(usage(commands))
    return 0
  }
  const command = findCommand(argv)
  if (command === undefined) {
    const group = commands.filter((candidate) => candidate.name.startsWith(`${first} `))
    if (group.length > 0 && argv.slice(1).some(isHelp)) {
      io.stdout(usage(group))
      return 0
    }
    io.stderr(`unknown command "${argv.join(' ')}"\n${usage(commands)}`)
    return 1
  }

  let parsed: { values: Partial<Record<string, string | boolean>>; positionals: string[] }
  try {
    const flags = new Set(command.flags ?? [])
    const options = Object.fromEntries(
      Object.keys(command.options ?? {}).map((name) => [
        name,
        { type: flags.has(name) ? ('boolean' as const) : ('string' as const) },
      ]),
    )
    parsed = parseArgs({
      args: argv.slice(command.name.split(' ').length),
      allowPositionals: true,
      strict: true,
      options: { ...options, help: { type: 'boolean', short: 'h' } },
    })
  } catch (error) {
    io.stderr(`${command.name}: ${(error as Error).message}\nUsage: ${usageLine(command)}`)
    return 1
  }
  if (parsed.values.help === true) {
    io.stdout(commandHelp(command))
    return 0
  }
  const values = Object.fromEntries(
    Object.entries(parsed.values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
  )
  const flags = new Set(
    Object.entries(parsed.values).flatMap(([name, value]) => (value === true && name !== 'help' ? [name] : [])),
  )
  const expected = command.arguments ?? []
  const missing = expected[parsed.positionals.length]
  if (missing !== undefined) {
    io.stderr(`${command.name}: ${missing} is missing\nUsage: ${usageLine(command)}`)
    return 1
  }
  if (parsed.positionals.length > expected.length) {
    io.stderr(
      `${command.name}: unexpected argument "${parsed.positionals[expected.length]}"\nUsage: ${usageLine(command)}`,
    )
    return 1
  }
  for (const [name, why] of Object.entries(command.required ?? {})) {
    if ((values[name] ?? '').trim() === '') {
      const flag = /^--\S+(?: [A-Z]\S*)?/.exec(command.options?.[name] ?? '')?.[0] ?? `--${name}`
      io.stderr(`${command.name}: ${flag} is required: ${why}`)
      return 1
    }
  }

  const { config, warnings, developmentSecrets } = loadConfig({ connectors, env: io.env })
  for (const warning of warnings) io.stderr(`warning: ${warning}`)
  // Said once, when they are made: every later command uses them silently (the service warns at every start).
  if (developmentSecrets !== undefined && developmentSecrets.generated.length > 0) {
    io.stderr(
      `warning: ${developmentSecrets.generated.join(', ')} not set: generated development values into ${developmentSecrets.file}. Never run production like this.`,
    )
  }
  if (values.region !== undefined && !config.regions.has(values.region)) {
    io.stderr(`unknown region "${values.region}"; configured: ${[...config.regions.keys()].join(', ')}`)
    return 1
  }
  const context: CommandContext = {
    config,
    out: io.stdout,
    err: io.stderr,
    progress: io.progress ?? (() => {}),
    now: io.now ?? (() => new Date()),
    withDatabase: async (run, options = { prepare: true }) => {
      if (io.db !== undefined) return run(io.db)
      const logger = createLogger({ level: 'warn' })
      const db: Kysely<Database> = await openConfiguredDatabase(config, logger)
      try {
        if (options.prepare) await prepareDatabase(db, config, logger)
        return await run(db)
      } finally {
        await db.destroy()
      }
    },
  }
  return command.run(context, { args: parsed.positionals, values, flags })
}
