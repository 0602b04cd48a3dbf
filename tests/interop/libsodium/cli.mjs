#!/usr/bin/env node
// A JSON-over-stdio driver for envelope.mjs, used by the C# interop tests (tests/Mediator.Didcomm.Tests/Envelopes).
// stdin: one request object or an array of them; stdout: one response (or an array, in order). Requests:
//   { "op": "keypair", "seed": "<hex>" }                         -> { "ok": true, "verkey": "..." }
//   { "op": "pack", "message": "<text>", "recipientVerkeys": [...], "senderSeed": "<hex>" | null,
//     "options": { "contentCipher": "...", "padded": true } }     -> { "ok": true, "envelope": "<JWE JSON text>" }
//   { "op": "unpack", "envelope": "<JWE JSON text>", "seeds": ["<hex>", ...] }
//                                        -> { "ok": true, "plaintext": "...", "recipientKey": "...", "senderKey": "..." | null }
// A request that fails answers { "ok": false, "code": "...", "error": "..." }.
import { createKeyPair, pack, unpack } from './envelope.mjs'

async function handle(request) {
  try {
    switch (request.op) {
      case 'keypair':
        return { ok: true, verkey: (await createKeyPair(request.seed)).verkey }
      case 'pack': {
        const sender = request.senderSeed ? await createKeyPair(request.senderSeed) : null
        const jwe = await pack(request.message, request.recipientVerkeys, sender, request.options ?? {})
        return { ok: true, envelope: JSON.stringify(jwe) }
      }
      case 'unpack': {
        const pairs = await Promise.all((request.seeds ?? []).map((seed) => createKeyPair(seed)))
        const result = await unpack(request.envelope, pairs)
        return {
          ok: true,
          plaintext: result.plaintext,
          recipientKey: result.recipientKey,
          senderKey: result.senderKey ?? null,
        }
      }
      default:
        return { ok: false, code: 'UnknownOp', error: `Unknown op '${request.op}'` }
    }
  } catch (error) {
    return { ok: false, code: error?.code ?? 'Error', error: String(error?.message ?? error) }
  }
}

const chunks = []
for await (const chunk of process.stdin) chunks.push(chunk)
const input = JSON.parse(Buffer.concat(chunks).toString('utf8'))
const output = Array.isArray(input) ? await Promise.all(input.map(handle)) : await handle(input)
process.stdout.write(JSON.stringify(output))
