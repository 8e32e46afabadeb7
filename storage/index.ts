import type { Config } from '../config'
import { LocalObjectStore } from './local'
import type { ObjectStore } from './object-store'

/** Opens the private object store the configuration selects. */
export function openPrivateStore(config: Config): ObjectStore {
  switch (config.storage.provider) {
    case 'local':
      return new LocalObjectStore(config.storage.localRoot)
  }
}
