import { describe, expect, it } from 'vitest'
import pkg from '../../package.json' with { type: 'json' }
import { faasName, resourceAttributes, serviceVersion, VERSION_METADATA_BINDING } from './resource.ts'

describe('serviceVersion', () => {
  it('is the tag of the deployed version when the upload was tagged', () => {
    const env = { [VERSION_METADATA_BINDING]: { id: 'a1b2c3d4-0000-4000-8000-000000000000', tag: 'v1.4.0' } }
    expect(serviceVersion(env)).toBe('v1.4.0')
  })

  it('is the version id when the upload has no tag', () => {
    const id = 'a1b2c3d4-0000-4000-8000-000000000000'
    expect(serviceVersion({ [VERSION_METADATA_BINDING]: { id, tag: '' } })).toBe(id)
  })

  it('falls back to package.json without the binding or with a malformed one', () => {
    expect(serviceVersion({})).toBe(pkg.version)
    expect(serviceVersion({ [VERSION_METADATA_BINDING]: 'not a binding' })).toBe(pkg.version)
    expect(serviceVersion({ [VERSION_METADATA_BINDING]: { id: '' } })).toBe(pkg.version)
  })
})

describe('resourceAttributes', () => {
  it('names the Worker per environment and keeps both environment keys', () => {
    expect(faasName('development')).toBe(pkg.name)
    expect(resourceAttributes('production')).toEqual({
      'deployment.environment.name': 'production',
      'deployment.environment': 'production',
      'faas.name': `${pkg.name}-production`,
    })
  })
})
