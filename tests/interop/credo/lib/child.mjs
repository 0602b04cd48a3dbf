// Runs one of the interop scripts as a child process and follows its JSON-lines output.
import { spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))

/** `what` may be a function, evaluated when the wait fails (e.g. to report progress). */
const describe = (what) => (typeof what === 'function' ? what() : what)

export class Child {
  constructor(name, script, args, { onEvent } = {}) {
    this.name = name
    this.events = []
    this.stderrTail = []
    this.waiters = []
    this.exitCode = undefined
    this.onEvent = onEvent
    this.process = spawn(process.execPath, [path.join(here, '..', script), ...args], { stdio: ['pipe', 'pipe', 'pipe'] })
    createInterface({ input: this.process.stdout }).on('line', (line) => this.#line(line))
    createInterface({ input: this.process.stderr }).on('line', (line) => {
      this.stderrTail.push(line)
      if (this.stderrTail.length > 40) this.stderrTail.shift()
    })
    this.exited = new Promise((resolve) => this.process.on('exit', (code, signal) => {
      this.exitCode = code ?? signal
      resolve(this.exitCode)
      this.#check()
    }))
  }

  #line(line) {
    let event
    try {
      event = JSON.parse(line)
    } catch {
      event = { event: 'non-json-output', line }
    }
    this.events.push(event)
    this.onEvent?.(this.name, event)
    this.#check()
  }

  #check() {
    for (const waiter of [...this.waiters]) {
      const found = this.events.slice(waiter.since).find(waiter.predicate)
      const failed = this.events.find((e) => e.event === 'error')
      if (found) waiter.resolve(found)
      else if (failed) waiter.reject(new Error(`${this.name} reported an error while waiting for ${describe(waiter.what)}: ${failed.message}`))
      else if (this.exitCode !== undefined) waiter.reject(new Error(`${this.name} exited (${this.exitCode}) while waiting for ${describe(waiter.what)}`))
      else continue
      clearTimeout(waiter.timer)
      this.waiters.splice(this.waiters.indexOf(waiter), 1)
    }
  }

  /** Resolves with the first event (already seen or future) that satisfies `predicate`. */
  waitFor(predicate, timeoutMs, what, since = 0) {
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve, reject, what, since }
      waiter.timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1)
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${this.name}: ${describe(what)}`))
      }, timeoutMs)
      this.waiters.push(waiter)
      this.#check()
    })
  }

  /** Number of events seen so far: pass it as `since` to wait only for later events. */
  mark() {
    return this.events.length
  }

  waitForEvent(name, timeoutMs, since = 0, extra = () => true) {
    return this.waitFor((e) => e.event === name && extra(e), timeoutMs, `event '${name}'`, since)
  }

  send(command) {
    this.process.stdin.write(JSON.stringify(command) + '\n')
  }

  async stop(timeoutMs = 15000) {
    if (this.exitCode !== undefined) return this.exitCode
    try {
      this.send({ cmd: 'exit' })
      this.process.stdin.end()
    } catch {
      // stdin already closed
    }
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs)
    const code = await this.exited
    clearTimeout(timer)
    return code
  }
}
