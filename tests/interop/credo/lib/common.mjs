// Shared plumbing for the interop scripts: JSON-lines output, stdin commands, arguments, timeouts, agent assembly.
import { createInterface } from 'node:readline'
import { parseArgs } from 'node:util'
import credo from '@credo-ts/core'
import { SodiumWallet } from './sodium-wallet.mjs'
import { MemoryStorageService } from './memory-storage.mjs'

const { Agent, BaseLogger, LogLevel, InjectionSymbols, HandshakeProtocol } = credo

const startedAt = Date.now()

/** Writes one JSON object as one line on stdout (the only thing ever written to stdout). */
export function emit(event, fields = {}) {
  // Writes to pipes and files are synchronous on Linux, so lines are never lost on process.exit().
  process.stdout.write(JSON.stringify({ event, t: Date.now() - startedAt, ...fields }) + '\n')
}

/** Reports a failure as a JSON line, then exits non-zero at once (nothing after a fail() call runs). */
export function fail(message, code = 1) {
  const line = JSON.stringify({ event: 'error', t: Date.now() - startedAt, message: String(message) }) + '\n'
  try {
    process.stdout.write(line)
    process.stderr.write(`FATAL: ${message}\n`)
  } finally {
    process.exit(code)
  }
}

export function installCrashHandlers() {
  process.on('uncaughtException', (error) => fail(`uncaught exception: ${error?.stack ?? error}`))
  process.on('unhandledRejection', (error) => fail(`unhandled rejection: ${error?.stack ?? error}`))
}

/** Rejects with a clear message after `ms` unless `promise` settles first. */
export function withTimeout(promise, ms, what) {
  let timer
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)
  })
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer))
}

/** Calls `onCommand(object)` for every JSON line on stdin; a malformed line is reported, not fatal. */
export function readCommands(onCommand, onEnd) {
  const rl = createInterface({ input: process.stdin })
  let queue = Promise.resolve()
  rl.on('line', (line) => {
    if (!line.trim()) return
    let command
    try {
      command = JSON.parse(line)
    } catch {
      emit('bad-command', { line, reason: 'not JSON' })
      return
    }
    if (!command || typeof command.cmd !== 'string') {
      emit('bad-command', { line, reason: 'missing "cmd"' })
      return
    }
    // Commands run one after another, in order.
    queue = queue.then(() => onCommand(command)).catch((error) => fail(`command '${command.cmd}' failed: ${error?.stack ?? error}`))
  })
  rl.on('close', () => { queue.then(() => onEnd?.()) })
}

export function parseCli(options, usage) {
  try {
    const { values } = parseArgs({ options: { ...options, help: { type: 'boolean' } }, strict: true })
    if (values.help) {
      process.stderr.write(usage + '\n')
      process.exit(0)
    }
    return values
  } catch (error) {
    process.stderr.write(usage + '\n')
    fail(`bad arguments: ${error.message}`, 2)
    return undefined
  }
}

export function intArg(values, name, fallback) {
  const raw = values[name]
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) fail(`--${name} must be a non-negative integer, got '${raw}'`, 2)
  return n
}

/** A Credo logger that writes to stderr, so stdout stays pure JSON lines. */
class StderrLogger extends BaseLogger {
  constructor(logLevel, name) {
    super(logLevel)
    this.name = name
  }
  #log(level, label, message, data) {
    if (!this.isEnabled(level)) return
    let extra = ''
    if (data !== undefined) {
      try {
        extra = ' ' + JSON.stringify(data, (k, v) => (v instanceof Error ? { message: v.message, stack: v.stack } : v))
      } catch {
        extra = ' [unserialisable data]'
      }
    }
    process.stderr.write(`${new Date().toISOString()} ${label} [${this.name}] ${message}${extra}\n`)
  }
  test(m, d) { this.#log(LogLevel.test, 'TEST', m, d) }
  trace(m, d) { this.#log(LogLevel.trace, 'TRACE', m, d) }
  debug(m, d) { this.#log(LogLevel.debug, 'DEBUG', m, d) }
  info(m, d) { this.#log(LogLevel.info, 'INFO', m, d) }
  warn(m, d) { this.#log(LogLevel.warn, 'WARN', m, d) }
  error(m, d) { this.#log(LogLevel.error, 'ERROR', m, d) }
  fatal(m, d) { this.#log(LogLevel.fatal, 'FATAL', m, d) }
}

export function logLevelArg(raw) {
  const level = LogLevel[raw ?? 'warn']
  if (typeof level !== 'number') fail(`--log-level must be one of test|trace|debug|info|warn|error|fatal|off, got '${raw}'`, 2)
  return level
}

/** Module that registers the libsodium wallet and the in-memory storage (what AskarModule would register). */
function sodiumWalletModule() {
  const wallet = new SodiumWallet()
  const storage = new MemoryStorageService()
  return {
    register(dependencyManager) {
      dependencyManager.registerInstance(InjectionSymbols.Wallet, wallet)
      dependencyManager.registerInstance(InjectionSymbols.StorageService, storage)
    },
  }
}

export function createAgent({ label, logLevel, endpoints, modules, dependencies, extraConfig = {} }) {
  return new Agent({
    config: {
      label,
      walletConfig: { id: `${label}-${process.pid}`, key: `${label}-key` },
      logger: new StderrLogger(logLevel, label),
      endpoints,
      ...extraConfig,
    },
    dependencies,
    modules: { sodiumWallet: sodiumWalletModule(), ...modules },
  })
}

/**
 * Reports every DIDComm plaintext message the agent processed ("in") or sent ("out") as a `trace` JSON line,
 * with the full message JSON: the wire-level record of what Credo expects from and sends to a mediator.
 */
export function traceMessages(agent) {
  // Which transport session (if any: 'http' / 'WebSocket') each inbound envelope arrived on.
  const sessions = new WeakMap()
  agent.events.on('AgentMessageReceived', ({ payload }) => {
    if (payload.message && typeof payload.message === 'object') sessions.set(payload.message, payload.session?.type ?? 'none')
  })
  agent.events.on('AgentMessageProcessed', ({ payload }) => {
    emit('trace', { dir: 'in', type: payload.message.type, connectionId: payload.connection?.id,
      session: payload.encryptedMessage ? sessions.get(payload.encryptedMessage) : undefined,
      message: payload.message.toJSON() })
  })
  agent.events.on('AgentMessageSent', ({ payload }) => {
    const context = payload.message
    emit('trace', { dir: 'out', type: context.message.type, connectionId: context.connection?.id, status: payload.status,
      message: context.message.toJSON() })
  })
}

/** --handshake didexchange|connections|both -> the OOB invitation's handshake protocols (in that order). */
export function handshakeArg(raw) {
  const map = {
    didexchange: [HandshakeProtocol.DidExchange],
    connections: [HandshakeProtocol.Connections],
    both: [HandshakeProtocol.DidExchange, HandshakeProtocol.Connections],
  }
  if (!map[raw]) fail(`--handshake must be didexchange, connections or both, got '${raw}'`, 2)
  return map[raw]
}
