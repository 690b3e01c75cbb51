/*
 * One argon2id worker thread: takes { id, op, password, hash } messages and answers { id, result } or
 * { id, error }. The synchronous argon2 calls block only this thread, never Node's shared libuv pool
 * (where the process's crypto, including token signatures, runs).
 */
import { parentPort } from 'node:worker_threads'
import { type Algorithm, hashSync, verifySync } from '@node-rs/argon2'

interface Task {
  id: number
  op: 'hash' | 'verify'
  password: string
  hash?: string
  parameters: { memoryCost: number; timeCost: number; parallelism: number }
}

// `Algorithm` is an ambient const enum, which isolated modules cannot read: 2 is Argon2id.
const argon2id = 2 as Algorithm.Argon2id

parentPort?.on('message', (task: Task) => {
  try {
    const result =
      task.op === 'hash'
        ? hashSync(task.password, { algorithm: argon2id, ...task.parameters })
        : verifySync(task.hash ?? '', task.password)
    parentPort?.postMessage({ id: task.id, result })
  } catch (error) {
    parentPort?.postMessage({ id: task.id, error: error instanceof Error ? error.message : String(error) })
  }
})
