import { Client, Connection } from '@temporalio/client'
import { temporalAddress, type Config } from '../config'

/** Connects a Temporal client; the caller closes `client.connection` when done. */
export async function connectTemporal(config: Config): Promise<Client> {
  const connection = await Connection.connect({ address: temporalAddress(config), connectTimeout: '5 seconds' })
  return new Client({ connection, namespace: config.temporal.namespace })
}
