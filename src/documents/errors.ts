import { ApiError } from '../errors.ts'

/** Expected refusals of document writes; each maps to the JSON error shape through onError. */

export class DocumentNotFoundError extends ApiError {
  constructor(id: string) {
    super(404, 'not_found', `No document with id ${id}`)
    this.name = 'DocumentNotFoundError'
  }
}

export class DocumentExistsError extends ApiError {
  constructor(id: string) {
    super(
      409,
      'document_exists',
      `A document with id ${id} already exists; PUT /api/documents/${id} replaces it`,
    )
    this.name = 'DocumentExistsError'
  }
}

/** Another write to the same document is in progress; retrying shortly is safe. */
export class DocumentBusyError extends ApiError {
  constructor(id: string) {
    super(409, 'document_busy', `Another write to document ${id} is in progress; retry shortly`, {
      'Retry-After': '1',
    })
    this.name = 'DocumentBusyError'
  }
}

export class IdempotencyInFlightError extends ApiError {
  constructor() {
    super(409, 'idempotency_in_flight', 'A request with this Idempotency-Key is still in progress', {
      'Retry-After': '1',
    })
    this.name = 'IdempotencyInFlightError'
  }
}

export class IdempotencyMismatchError extends ApiError {
  constructor() {
    super(422, 'idempotency_key_reused', 'This Idempotency-Key was used with a different request body')
    this.name = 'IdempotencyMismatchError'
  }
}

/**
 * Upstash could not be reached for a guard a write depends on (lock, idempotency record, corpus
 * version): nothing was written, and the request is safe to retry.
 */
export class CoordinationUnavailableError extends ApiError {
  /**
   * `cause`: the CacheError, whose `exception` event is already on the Upstash span; the spans
   * above see it through the cause and do not record the failure a second time.
   */
  constructor(what: string, cause?: unknown) {
    super(
      503,
      'coordination_unavailable',
      `Could not ${what} (Upstash); nothing was written. Please retry.`,
      { 'Retry-After': '1' },
      { cause },
    )
    this.name = 'CoordinationUnavailableError'
  }
}

export class IdMismatchError extends ApiError {
  constructor(pathId: string, bodyId: string) {
    super(400, 'validation_error', `id: body id ${bodyId} differs from the path id ${pathId}`)
    this.name = 'IdMismatchError'
  }
}
