import { Client, Connection, type TLSConfig } from '@temporalio/client'
import { readFileSync } from 'node:fs'
import { temporalAddress, type Config } from '../config'

/** Address, TLS and API key for both the client and the worker's native connection. */
export interface TemporalConnectionOptions {
  address: string
  tls?: TLSConfig
  apiKey?: string
}

/**
 * Builds the connection options from the config, reading the TLS files it names. A missing
 * or unreadable file raises the file system's error, which names the path.
 */
export function temporalConnectionOptions(config: Config): TemporalConnectionOptions {
  const { tls, apiKey } = config.temporal.connection
  const options: TemporalConnectionOptions = { address: temporalAddress(config) }

  if (tls) {
    options.tls = {}
    if (tls.serverName) options.tls.serverNameOverride = tls.serverName
    if (tls.caFile) options.tls.serverRootCACertificate = readFileSync(tls.caFile)
    if (tls.clientCert) {
      options.tls.clientCertPair = { crt: readFileSync(tls.clientCert.certFile), key: readFileSync(tls.clientCert.keyFile) }
    }
  }
  if (apiKey) options.apiKey = apiKey

  return options
}

/** Connects a Temporal client; the caller closes `client.connection` when done. */
export async function connectTemporal(config: Config): Promise<Client> {
  const connection = await Connection.connect({ ...temporalConnectionOptions(config), connectTimeout: '5 seconds' })
  return new Client({ connection, namespace: config.temporal.namespace })
}
