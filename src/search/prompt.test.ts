import { describe, expect, it } from 'vitest'
import { buildMessages, fallbackAnswer } from './prompt.ts'
import type { RankedSource } from './types.ts'

const source = (title: string, passage: string): RankedSource => ({
  id: title,
  title,
  url: '/x',
  source_type: 'article',
  score: 0.5,
  snippet: '',
  passage,
})

describe('buildMessages', () => {
  it('is a system rule plus the exact Context/[n]/Question format', () => {
    const [system, user] = buildMessages('how do i bow', [
      source('Dojo Etiquette', 'Bow at the door.'),
      source('Rei', 'Rei means bow.'),
    ])
    expect(system?.role).toBe('system')
    expect(system?.content).toMatch(/only.*context/i)
    expect(system?.content).toMatch(/\[1\]/)
    expect(user).toEqual({
      role: 'user',
      content:
        'Context:\n[1] Dojo Etiquette\nBow at the door.\n\n[2] Rei\nRei means bow.\n\nQuestion: how do i bow',
    })
  })
})

describe('fallbackAnswer', () => {
  it('lists the source titles', () => {
    const text = fallbackAnswer([source('A', ''), source('B', '')])
    expect(text).toBe('Here are some relevant resources from the WWMAA knowledge base:\n[1] A\n[2] B')
  })
})
