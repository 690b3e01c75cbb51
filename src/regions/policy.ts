/*
 * Which login methods a region offers at a given moment (pure): a method is offered when it is enabled
 * and `now` is within its optional [from, until) window. The three states of State Services login:
 * shown (enabled, password allowed), hidden (not enabled or outside its window), required (enabled
 * while password login is not).
 * A change of the offered methods within `noticeDays` is announced: `upcomingChange`.
 */
import type { RegionConfig } from '../config/load.js'

export interface LoginMethods {
  password: boolean
  stateServices: boolean
}

function within(schedule: { from?: string; until?: string }, now: Date): boolean {
  const time = now.getTime()
  if (schedule.from !== undefined && time < Date.parse(schedule.from)) return false
  if (schedule.until !== undefined && time >= Date.parse(schedule.until)) return false
  return true
}

export function loginMethods(region: RegionConfig, now: Date): LoginMethods {
  return {
    password: region.passwordLogin.enabled && within(region.passwordLogin, now),
    stateServices:
      region.stateServices.enabled && region.stateServices.provider !== undefined && within(region.stateServices, now),
  }
}

export interface UpcomingChange {
  at: Date
  methods: LoginMethods
}

/** The next change of offered methods within the region's notice period, if there is one. */
export function upcomingChange(region: RegionConfig, now: Date): UpcomingChange | undefined {
  const horizon = now.getTime() + region.noticeDays * 86_400_000
  const boundaries = [
    region.passwordLogin.from,
    region.passwordLogin.until,
    region.stateServices.from,
    region.stateServices.until,
  ]
    .filter((text): text is string => text !== undefined)
    .map((text) => Date.parse(text))
    .filter((time) => time > now.getTime() && time <= horizon)
    .sort((a, b) => a - b)
  const current = loginMethods(region, now)
  for (const time of boundaries) {
    const methods = loginMethods(region, new Date(time))
    if (methods.password !== current.password || methods.stateServices !== current.stateServices)
      return { at: new Date(time), methods }
  }
  return undefined
}
