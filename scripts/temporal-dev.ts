import { loadConfigOrExit } from '../config'
import { ensureTemporalCli } from './temporal-cli'
import { startTemporalDevServer } from './temporal-server'

// Runs only the Temporal dev server, for working on the worker or API by hand.
const config = loadConfigOrExit()
const server = await startTemporalDevServer({
  cliPath: ensureTemporalCli(),
  port: config.temporal.devPort,
  uiPort: config.temporal.uiPort,
  dbFile: '.data/temporal/temporal.db',
  logFile: '.data/logs/temporal.log',
})
console.error(`Temporal dev server at ${server.address}, UI at ${server.uiUrl}; Ctrl-C stops it`)

const stop = () => void server.stop().then(() => process.exit(0))
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
