import type { Visitor } from './caller.ts'

/** A visitor's identity inside its client: kinds kept apart so that an id cannot pose as an address. */
export function visitorIdOf(visitor: Visitor): string {
  switch (visitor.kind) {
    case 'member':
      return `user:${visitor.id}`
    case 'end_user':
      return `end_user:${visitor.id}`
    case 'host':
      return `host:${visitor.host.text}`
    case 'unnamed':
      return 'unnamed'
  }
}
