/*
 * Which login methods a region offers at a given moment (pure): a method is offered when it is enabled
 * and `now` is within its optional [from, until) window.
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
    stateServices: region.stateServices.enabled && region.stateServices.provider !== undefined && within(region.stateServices, now),
  }
}
