/*
 * Rules for a password a person chooses (pure):
 * - 8 to 128 characters
 * - not the login, and not the birth date in any common writing
 * - not the password it replaces (checked against the stored hash by change-password.ts: `same_as_current`)
 * - not one of the most common passwords (lists of leaked passwords, Russian ones included), and not
 *   one character repeated or a run of consecutive digits or keyboard letters
 * Problems are codes; the page words them in Russian or English.
 */
export type PasswordProblem =
  'too_short' | 'too_long' | 'same_as_login' | 'contains_birth_date' | 'too_common' | 'mismatch' | 'same_as_current'

const common = new Set(
  `123456 1234567 12345678 123456789 1234567890 0123456789 12345 1234 111111 000000 123123 654321 666666 121212
  112233 123321 7777777 11111111 00000000 87654321 98765432 987654321 qwerty qwerty123 qwertyuiop qwertyui
  1q2w3e 1q2w3e4r 1q2w3e4r5t 1qaz2wsx qazwsx zaq12wsx asdfgh asdfghjkl zxcvbnm password password1 password123
  passw0rd p@ssw0rd admin admin123 root letmein welcome welcome1 monkey dragon master shadow sunshine iloveyou
  princess football baseball superman batman trustno1 abc123 abcdef abcd1234 starwars computer internet
  michael jennifer hello hello123 freedom whatever killer pokemon samsung google yandex mail mailru vkontakte
  ytrewq ghbdtn ntcnbhjdfybt pfqxbr cjkysirj lhfrjy vfrcbv yfnfif rfnz ktyf fylhtq ckfdf vfhbyf jkmuf
  пароль пароль123 йцукен йцукенгшщз фывапролд ячсмить привет любовь солнышко котик зайка маша наташа
  школа дневник ученик учитель россия москва спартак зенит qwe123 qweasd qweasdzxc 123qwe 123abc a123456
  aa123456 123456a 1234qwer school diary dnevnik uchenik student`
    .split(/\s+/)
    .filter(Boolean),
)

function isTrivial(password: string): boolean {
  const lower = password.toLowerCase()
  if (common.has(lower)) return true
  if (/^(.)\1+$/u.test(password)) return true
  const sequences = [
    '0123456789012345678901234567890',
    '9876543210987654321098765432109',
    'abcdefghijklmnopqrstuvwxyz',
    'qwertyuiopasdfghjklzxcvbnm',
    'йцукенгшщзхъфывапролджэячсмитьбю',
    'абвгдеёжзийклмнопрстуфхцчшщъыьэюя',
  ]
  return sequences.some((sequence) => sequence.includes(lower))
}

function birthDateForms(birthDate: string | null): string[] {
  const match = birthDate === null ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(birthDate)
  if (!match) return []
  const [, year, month, day] = match as unknown as [string, string, string, string]
  return [
    `${day}.${month}.${year}`,
    `${day}${month}${year}`,
    `${year}${month}${day}`,
    `${year}-${month}-${day}`,
    `${day}${month}${year.slice(2)}`,
    `${day}.${month}.${year.slice(2)}`,
  ]
}

export function checkNewPassword(
  password: string,
  repeated: string,
  account: { login: string; birthDate: string | null },
): PasswordProblem | undefined {
  if (password !== repeated) return 'mismatch'
  if ([...password].length < 8) return 'too_short'
  if ([...password].length > 128) return 'too_long'
  const lower = password.toLowerCase()
  if (
    lower === account.login.toLowerCase() ||
    (lower.includes(account.login.toLowerCase()) && account.login.length >= 4)
  )
    return 'same_as_login'
  if (birthDateForms(account.birthDate).some((form) => password.includes(form))) return 'contains_birth_date'
  if (isTrivial(password)) return 'too_common'
  return undefined
}
