/*
 * What the ESIA simulator knows: its test persons (the state-services simulator's persons in ESIA's
 * formats, plus a child account) and the ESIA error codes it answers with.
 */
export interface EsiaSimulatorPerson {
  id: string
  /** What the test person demonstrates. */
  label: string
  oid: number
  /** PR confirmed, P standard (not confirmed), KD a child's account. */
  lvl: 'PR' | 'P' | 'KD'
  confirmed: boolean
  /** As rs/prns answers: birthDate dd.MM.yyyy, snils NNN-NNN-NNN CC. */
  data: {
    lastName: string
    firstName: string
    middleName?: string
    birthDate?: string
    gender: 'F' | 'M'
    snils?: string
  }
}

/** The persons of the OIDC simulator (same names, birth dates and SNILS, which the demo accounts match), plus a child. */
export const esiaSimulatorPersons: readonly EsiaSimulatorPerson[] = [
  {
    id: 'maria',
    label: 'verified, with SNILS: linked automatically (pupil ivanova.m)',
    oid: 1000300001,
    lvl: 'PR',
    confirmed: true,
    data: {
      lastName: 'Иванова',
      firstName: 'Мария',
      middleName: 'Петровна',
      birthDate: '14.03.2012',
      gender: 'F',
      snils: '112-233-445 95',
    },
  },
  {
    id: 'petr',
    label: 'a parent whose name is written without ё: linked automatically (ivanov.p, "Пётр")',
    oid: 1000300002,
    lvl: 'PR',
    confirmed: true,
    data: {
      lastName: 'Иванов',
      firstName: 'Петр',
      middleName: 'Сергеевич',
      birthDate: '02.07.1984',
      gender: 'M',
      snils: '123-456-789 64',
    },
  },
  {
    id: 'alexey',
    label: 'no patronymic on either side (no middleName in the answer): linked automatically (smirnov.a)',
    oid: 1000300003,
    lvl: 'PR',
    confirmed: true,
    data: { lastName: 'Смирнов', firstName: 'Алексей', birthDate: '30.11.2011', gender: 'M', snils: '145-678-912 08' },
  },
  {
    id: 'elena',
    label: 'account not verified (lvl P, no is_tru): binding with the diary password (kuznetsova.e)',
    oid: 1000300004,
    lvl: 'P',
    confirmed: false,
    data: { lastName: 'Кузнецова', firstName: 'Елена', middleName: 'Викторовна', gender: 'F', snils: '987-654-321 83' },
  },
  {
    id: 'elena-verified',
    label:
      'the same name, verified, SNILS matches: linked automatically to kuznetsova.e, replacing a password binding by an unverified account',
    oid: 1000300005,
    lvl: 'PR',
    confirmed: true,
    data: {
      lastName: 'Кузнецова',
      firstName: 'Елена',
      middleName: 'Викторовна',
      birthDate: '20.01.1979',
      gender: 'F',
      snils: '987-654-321 83',
    },
  },
  {
    id: 'tatiana',
    label:
      'verified, SNILS matches, the diary misspells her patronymic: binding with the diary password despite the typo (morozova.t)',
    oid: 1000300006,
    lvl: 'PR',
    confirmed: true,
    data: {
      lastName: 'Морозова',
      firstName: 'Татьяна',
      middleName: 'Николаевна',
      birthDate: '02.04.2011',
      gender: 'F',
      snils: '345-678-912 26',
    },
  },
  {
    id: 'anna',
    label:
      'a mother without SNILS: binding her child’s diary (ivanova.m) is refused, parents use their own diary login',
    oid: 1000300007,
    lvl: 'PR',
    confirmed: true,
    data: { lastName: 'Иванова', firstName: 'Анна', middleName: 'Викторовна', birthDate: '11.10.1986', gender: 'F' },
  },
  {
    id: 'olga',
    label: 'verified, no SNILS: binding with the diary password (novikova.o)',
    oid: 1000300008,
    lvl: 'PR',
    confirmed: true,
    data: { lastName: 'Новикова', firstName: 'Ольга', middleName: 'Андреевна', birthDate: '05.05.1990', gender: 'F' },
  },
  {
    id: 'sergey',
    label: 'verified, SNILS not in any diary: binding with the diary password',
    oid: 1000300009,
    lvl: 'PR',
    confirmed: true,
    data: { lastName: 'Соколов', firstName: 'Сергей', middleName: 'Олегович', gender: 'M', snils: '301-402-503 84' },
  },
  {
    id: 'kirill',
    label:
      'a child’s account (lvl KD) confirmed through a parent, SNILS not in any diary: binding with the diary password',
    oid: 1000300010,
    lvl: 'KD',
    confirmed: true,
    data: {
      lastName: 'Иванов',
      firstName: 'Кирилл',
      middleName: 'Петрович',
      birthDate: '21.08.2016',
      gender: 'M',
      snils: '156-987-432 31',
    },
  },
]

/** ESIA error codes the simulator answers with: the OAuth error and ESIA's description. */
export const esiaErrors = {
  '007002': {
    error: 'invalid_client',
    text: 'The certificate does not match the client mnemonic, or the client has no certificate',
  },
  '007003': { error: 'invalid_request', text: 'A mandatory parameter is missing, has a wrong value or is repeated' },
  '007004': { error: 'access_denied', text: 'The resource owner or the authorization server denied the request' },
  '007006': { error: 'invalid_scope', text: 'The requested scope is invalid, unknown or malformed' },
  '007008': {
    error: 'temporarily_unavailable',
    text: 'The authorization server is currently unable to handle the request',
  },
  '007011': {
    error: 'invalid_grant',
    text: 'The authorization code is invalid, expired, revoked, does not match the redirection URI or was issued to another client',
  },
  '007012': { error: 'invalid_request', text: 'The grant type is not supported by the authorization server' },
  '007014': { error: 'invalid_request', text: 'The request does not contain the mandatory parameter' },
  '007015': { error: 'invalid_request', text: 'Invalid request time' },
  '007019': { error: 'invalid_request', text: 'Access permission is missing' },
  '007023': {
    error: 'invalid_request',
    text: 'The redirect_uri of the request is not among those allowed for the client',
  },
  '007039': { error: 'invalid_request', text: 'The original request to v2/ac had no code_challenge' },
  '007040': { error: 'invalid_grant', text: 'The code verifier does not match the code challenge' },
  '007053': {
    error: 'invalid_request',
    text: 'client_secret is malformed: it does not match the certificate or the client, or the certificate is not active',
  },
  '007055': { error: 'invalid_request', text: 'Login with an unconfirmed account' },
} as const satisfies Record<string, { error: string; text: string }>

export type EsiaErrorCode = keyof typeof esiaErrors

/** The codes a human can make the next login answer with, on the person-choice page. */
export const humanFailCodes: readonly EsiaErrorCode[] = [
  '007004',
  '007008',
  '007011',
  '007014',
  '007015',
  '007019',
  '007023',
  '007053',
  '007055',
]
