/** ESIA's `timestamp`: `yyyy.MM.dd HH:mm:ss Z`, written in UTC (`2026.11.29 11:36:11 +0000`). */
export function esiaTimestamp(at: Date): string {
  const two = (value: number) => String(value).padStart(2, '0')
  const date = `${at.getUTCFullYear()}.${two(at.getUTCMonth() + 1)}.${two(at.getUTCDate())}`
  return `${date} ${two(at.getUTCHours())}:${two(at.getUTCMinutes())}:${two(at.getUTCSeconds())} +0000`
}
