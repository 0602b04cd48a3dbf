// Credo 0.5 `StorageService` kept in process memory. Records are stored serialised (as askar stores them) so every
// read returns a fresh instance; tags follow askar's semantics: null/undefined tags are not stored, array tags match
// when every queried item is present, null/undefined in a query means "no constraint"; $and / $or / $not supported.
import credo from '@credo-ts/core'

const { JsonTransformer, RecordNotFoundError, RecordDuplicateError } = credo

function cloneTags(tags) {
  const out = {}
  for (const [key, value] of Object.entries(tags ?? {})) {
    if (value === undefined || value === null) continue
    out[key] = Array.isArray(value) ? [...value] : value
  }
  return out
}

function matches(tags, query) {
  if (!query) return true
  const { $and, $or, $not, ...simple } = query
  for (const [key, value] of Object.entries(simple)) {
    if (value === undefined || value === null) continue
    const tag = tags[key]
    if (Array.isArray(value)) {
      if (!Array.isArray(tag) || !value.every((v) => tag.includes(v))) return false
    } else if (Array.isArray(tag)) {
      return false
    } else if (tag !== value) {
      return false
    }
  }
  if ($and && !$and.every((q) => matches(tags, q))) return false
  if ($or && $or.length > 0 && !$or.some((q) => matches(tags, q))) return false
  if ($not && matches(tags, $not)) return false
  return true
}

export class MemoryStorageService {
  // type -> Map<id, { value: string, tags }>
  #records = new Map()

  #bucket(type) {
    let bucket = this.#records.get(type)
    if (!bucket) this.#records.set(type, (bucket = new Map()))
    return bucket
  }

  #instance(entry, recordClass, id) {
    const instance = JsonTransformer.deserialize(entry.value, recordClass)
    instance.id = id
    instance.replaceTags(cloneTags(entry.tags))
    return instance
  }

  async save(agentContext, record) {
    record.updatedAt = new Date()
    const bucket = this.#bucket(record.type)
    if (bucket.has(record.id)) {
      throw new RecordDuplicateError(`Record with id ${record.id} already exists`, { recordType: record.type })
    }
    bucket.set(record.id, { value: JsonTransformer.serialize(record), tags: cloneTags(record.getTags()) })
  }

  async update(agentContext, record) {
    record.updatedAt = new Date()
    const bucket = this.#bucket(record.type)
    if (!bucket.has(record.id)) {
      throw new RecordNotFoundError(`record with id ${record.id} not found.`, { recordType: record.type })
    }
    bucket.set(record.id, { value: JsonTransformer.serialize(record), tags: cloneTags(record.getTags()) })
  }

  async delete(agentContext, record) {
    if (!this.#bucket(record.type).delete(record.id)) {
      throw new RecordNotFoundError(`record with id ${record.id} not found.`, { recordType: record.type })
    }
  }

  async deleteById(agentContext, recordClass, id) {
    if (!this.#bucket(recordClass.type).delete(id)) {
      throw new RecordNotFoundError(`record with id ${id} not found.`, { recordType: recordClass.type })
    }
  }

  async getById(agentContext, recordClass, id) {
    const entry = this.#bucket(recordClass.type).get(id)
    if (!entry) throw new RecordNotFoundError(`record with id ${id} not found.`, { recordType: recordClass.type })
    return this.#instance(entry, recordClass, id)
  }

  async getAll(agentContext, recordClass) {
    return [...this.#bucket(recordClass.type)].map(([id, entry]) => this.#instance(entry, recordClass, id))
  }

  async findByQuery(agentContext, recordClass, query, queryOptions) {
    let found = [...this.#bucket(recordClass.type)].filter(([, entry]) => matches(entry.tags, query))
    const offset = queryOptions?.offset ?? 0
    const limit = queryOptions?.limit
    found = found.slice(offset, limit === undefined ? undefined : offset + limit)
    return found.map(([id, entry]) => this.#instance(entry, recordClass, id))
  }
}
