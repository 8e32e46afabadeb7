import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common'

/**
 * Search attributes every operation workflow sets, so ops can filter runs in the Temporal UI,
 * for example `OpsKind = "backup" AND OpsStatus = "failed"`. They are stored unencrypted, so
 * they carry database names and stage names, never personal data.
 */
export const OPS_KIND = defineSearchAttributeKey('OpsKind', SearchAttributeType.KEYWORD)
export const OPS_STATUS = defineSearchAttributeKey('OpsStatus', SearchAttributeType.KEYWORD)
export const OPS_TARGET = defineSearchAttributeKey('OpsTarget', SearchAttributeType.KEYWORD)
export const OPS_TRIGGER = defineSearchAttributeKey('OpsTrigger', SearchAttributeType.KEYWORD)
/** The DR checklist stage a DR run is in, such as `restore`. */
export const DR_STAGE = defineSearchAttributeKey('DrStage', SearchAttributeType.KEYWORD)

/** Every custom search attribute with its type, for registering them on a Temporal server. */
export const REGISTERED_SEARCH_ATTRIBUTES = [OPS_KIND, OPS_STATUS, OPS_TARGET, OPS_TRIGGER, DR_STAGE].map(
  (key) => ({ name: key.name, type: key.type }),
)

export type OpsKind = 'backup' | 'backup-prune' | 'mirror' | 'mirror-rpo' | 'restore' | 'dr' | 'uptime' | 'backup-rpo' | 'retention'
export type OpsTrigger = 'schedule' | 'manual'
