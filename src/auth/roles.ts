/**
 * The roles the API knows. A token naming any other role is refused (403) rather than mapped to
 * `member`: a role this code has never heard of may come from a service meant to grant more, or
 * less, and guessing either way hands out access nobody decided on.
 */
export const ROLES = ['member', 'admin', 'instructor', 'staff'] as const
export type Role = (typeof ROLES)[number]

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && (ROLES as readonly string[]).includes(value)
}
