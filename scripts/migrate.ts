import { loadConfigOrExit } from '../config'
import { connectDatabase, ensureDatabaseExists } from '../data/db'
import { migrate } from '../data/migrate'

const config = loadConfigOrExit()
if (await ensureDatabaseExists(config.database.url)) console.error(`created database ${config.database.name}`)

const sql = connectDatabase(config.database.url, { max: 1 })
try {
  const applied = await migrate(sql)
  console.error(applied.length > 0 ? `applied ${applied.join(', ')}` : 'database schema is up to date')
} finally {
  await sql.end()
}
