import { readFileSync } from 'node:fs'
import { createServer } from 'node:net'

// Linux reports process times in clock ticks of 1/100 s (sysconf(_SC_CLK_TCK) on x86-64 and arm64).
const TICKS_PER_SECOND = 100

/** Asks the kernel for a free loopback port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))))
    })
  })
}

/** Returns the user plus system CPU time a running process has used so far, from /proc, in ms. */
export function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  // The command name in brackets may contain spaces, so the fields are counted after it.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const userTicks = Number(fields[11])
  const systemTicks = Number(fields[12])
  return ((userTicks + systemTicks) * 1000) / TICKS_PER_SECOND
}

/** Returns the CPU time this Node process has used so far, in ms. */
export function ownCpuMs(): number {
  const usage = process.cpuUsage()
  return (usage.user + usage.system) / 1000
}
