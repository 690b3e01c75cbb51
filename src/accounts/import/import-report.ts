/*
 * What an import answers: counts, the rejected rows by line, the counts per school, the state changes
 * the file asks for (made by lifecycle/import-lifecycle.ts), and what the file lists (for `--sync school`).
 */
export interface RowProblem {
  line: number
  problems: string[]
}

/** A change of state the file's `active` column asks for; `accountId` is null for an account a dry run would create. */
export interface StateRequest {
  change: 'deactivate' | 'reactivate'
  accountId: string | null
  login: string
  /** The school's name ("—" without one). */
  school: string
  /** A new account the file lists as inactive: created deactivated, in the import's own transaction. */
  created?: boolean
}

export interface ImportReport {
  rows: number
  created: number
  updated: number
  unchanged: number
  rejected: RowProblem[]
  /** Accounts created and updated per school (its name; "—" without one). */
  schools: Record<string, { created: number; updated: number }>
  stateChanges: StateRequest[]
  /** What the file lists, for `--sync school`. */
  listed: {
    /** Every login of the file, rejected rows' included. */
    logins: string[]
    /** The schools of its good rows that exist (in a dry run, new ones are not among them). */
    schoolIds: string[]
    /** Lines that could not be read at all: their login is unknown. */
    unreadable: number
  }
}

export const noSchool = '—'

export function emptyReport(): ImportReport {
  return {
    rows: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    rejected: [],
    schools: {},
    stateChanges: [],
    listed: { logins: [], schoolIds: [], unreadable: 0 },
  }
}
