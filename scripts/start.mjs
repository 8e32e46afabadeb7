// `npm start` entry point. Plain JavaScript, because on a fresh clone nothing is installed yet:
// it installs the dependencies when they are missing or older than the lockfile, then hands
// over to scripts/up.ts, which starts everything else.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, statSync } from 'node:fs'

const [major, minor] = process.versions.node.split('.').map(Number)
if (major < 20 || (major === 20 && minor < 12)) {
  console.error(`Node.js ${process.versions.node} is too old: install Node.js 20.12 or later`)
  process.exit(1)
}

const installedMarker = 'node_modules/.package-lock.json'
const needsInstall =
  !existsSync(installedMarker) || statSync('package-lock.json').mtimeMs > statSync(installedMarker).mtimeMs

if (needsInstall) {
  console.error('installing dependencies with npm ci')
  const install = spawnSync('npm', ['ci', '--no-audit', '--no-fund'], { stdio: 'inherit' })
  if (install.status !== 0) process.exit(install.status ?? 1)
}

const up = spawn(process.execPath, ['--import', 'tsx', 'scripts/up.ts'], { stdio: 'inherit' })

// Ctrl-C signals the whole process group, so up.ts receives SIGINT itself. SIGTERM is sent
// to this process only, so it is passed on.
process.on('SIGINT', () => {})
process.on('SIGTERM', () => up.kill('SIGTERM'))
up.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
