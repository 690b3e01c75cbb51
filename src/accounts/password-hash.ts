/*
 * Password hashing with argon2id at OWASP's recommended parameters (m = 19 MiB, t = 2, p = 1), on a
 * bounded pool of worker threads of its own (on Node's shared libuv pool four concurrent
 * hashes cut token verification from ~11,600/s to ~200/s).
 * - `workers` threads hash; at most `maxQueue` more tasks wait; beyond that a task is refused at once
 *   with ERR_BUSY (503 + Retry-After), so password logins shed load instead of starving everything else
 * - hashes are PHC strings; imported hashes must be argon2id at least as strong as these parameters
 */
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { Worker } from 'node:worker_threads'
import { BridgeError } from '../errors.js'

export const argon2idParameters = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const

export interface PasswordHasher {
  hash(password: string): Promise<string>
  verify(hash: string, password: string): Promise<boolean>
  stats(): { workers: number; busy: number; queued: number; completed: number; refused: number }
  /** True when a new task would be refused: callers shed load before doing any other work. */
  saturated(): boolean
  close(): Promise<void>
}

interface Pending {
  id: number
  op: 'hash' | 'verify'
  password: string
  hash?: string
  resolve: (value: string | boolean) => void
  reject: (error: Error) => void
}

/*
 * The worker's whole program, evaluated as CommonJS so that it runs the same under tsx, tap and the
 * built service (a TypeScript worker file would need a loader inside the worker). The synchronous
 * argon2 calls block only the worker thread. Algorithm 2 is Argon2id.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads')
const { hashSync, verifySync } = require(workerData.argon2)
parentPort.on('message', (task) => {
  try {
    const result = task.op === 'hash'
      ? hashSync(task.password, { algorithm: 2, ...task.parameters })
      : verifySync(task.hash, task.password)
    parentPort.postMessage({ id: task.id, result })
  } catch (error) {
    parentPort.postMessage({ id: task.id, error: error instanceof Error ? error.message : String(error) })
  }
})`
const argon2Path = createRequire(import.meta.url).resolve('@node-rs/argon2')

export function busyError(): BridgeError {
  return new BridgeError('ERR_BUSY', 'password checks are saturated', { retryAfterSeconds: 2 })
}

export function createPasswordHasher(options: { workers?: number; maxQueue?: number } = {}): PasswordHasher {
  const size = options.workers && options.workers > 0 ? options.workers : Math.max(1, availableParallelism() - 1)
  const maxQueue = options.maxQueue ?? size * 4
  const idle: Worker[] = []
  const running = new Map<Worker, Pending>()
  const queue: Pending[] = []
  let nextId = 0
  let completed = 0
  let refused = 0
  let closed = false

  let spawned = 0

  function dispatch(): void {
    // Workers start on first use: an instance that never checks a password never pays their memory.
    while (idle.length === 0 && queue.length > 0 && spawned < size) {
      idle.push(spawn())
      spawned++
    }
    while (idle.length > 0 && queue.length > 0) {
      const worker = idle.pop() as Worker
      const task = queue.shift() as Pending
      running.set(worker, task)
      worker.postMessage({
        id: task.id,
        op: task.op,
        password: task.password,
        hash: task.hash ?? '',
        parameters: argon2idParameters,
      })
    }
  }

  function spawn(): Worker {
    const worker = new Worker(workerSource, { eval: true, workerData: { argon2: argon2Path } })
    worker.unref()
    worker.on('message', (message: { id: number; result?: string | boolean; error?: string }) => {
      const task = running.get(worker)
      running.delete(worker)
      idle.push(worker)
      completed++
      if (task !== undefined) {
        if (message.error !== undefined) task.reject(new Error(message.error))
        else task.resolve(message.result as string | boolean)
      }
      dispatch()
    })
    worker.on('error', (error) => {
      const task = running.get(worker)
      running.delete(worker)
      task?.reject(error)
      if (!closed) {
        idle.push(spawn())
        dispatch()
      }
    })
    return worker
  }

  function submit<T extends string | boolean>(op: 'hash' | 'verify', password: string, hash?: string): Promise<T> {
    if (closed) return Promise.reject(new Error('the password hasher is closed'))
    if (idle.length === 0 && spawned >= size && queue.length >= maxQueue) {
      refused++
      return Promise.reject(busyError())
    }
    return new Promise<T>((resolve, reject) => {
      queue.push({ id: nextId++, op, password, hash, resolve: resolve as (value: string | boolean) => void, reject })
      dispatch()
    })
  }

  return {
    hash: (password) => submit<string>('hash', password),
    verify: (hash, password) => submit<boolean>('verify', password, hash),
    stats: () => ({ workers: size, busy: running.size, queued: queue.length, completed, refused }),
    saturated: () => idle.length === 0 && spawned >= size && queue.length >= maxQueue,
    async close() {
      closed = true
      for (const task of queue.splice(0)) task.reject(new Error('the password hasher is closed'))
      await Promise.all([...idle, ...running.keys()].map((worker) => worker.terminate()))
    },
  }
}

const phc = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/

/** Why an imported hash is not acceptable, or undefined when it is. */
export function checkImportedHash(text: string): string | undefined {
  const match = phc.exec(text)
  if (!match) return 'must be an argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash)'
  const [memory, time] = [Number(match[1]), Number(match[2])]
  // OWASP: m=19456,t=2 or m=12288,t=3 or m=9216,t=4 or m=7168,t=5 — equal cost, so compare m·t.
  if (memory * time < 35_840 || memory < 7168) {
    return 'is weaker than argon2id m=19456,t=2 (OWASP minimum)'
  }
  return undefined
}
