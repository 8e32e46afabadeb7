import { historyFromJSON } from '@temporalio/common/lib/proto-utils'
import { Worker } from '@temporalio/worker'
import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { FIXTURES } from '../support'
import { workflowBundle } from '../temporal-support'

const HISTORIES = join(FIXTURES, 'histories')

// Histories recorded from real runs (RECORD_HISTORIES=1 with the backup workflow, DR and
// monitoring tests). A
// replay fails when a change to workflow code would break runs already in flight.
describe('workflow replay', async () => {
  const files = (await readdir(HISTORIES)).filter((file) => file.endsWith('.json'))

  it('has a recorded history for every workflow', () => {
    expect(files).toEqual(expect.arrayContaining(['backup-workflow.json', 'backup-failed-workflow.json', 'restore-workflow.json', 'dr-drill-workflow.json', 'dr-retried-workflow.json', 'uptime-down-workflow.json', 'uptime-recovered-workflow.json', 'backup-rpo-workflow.json', 'backup-prune-workflow.json', 'mirror-workflow.json', 'mirror-verify-workflow.json', 'mirror-restore-workflow.json', 'mirror-rpo-workflow.json', 'retention-purge-workflow.json', 'retention-dry-run-workflow.json', 'retention-sweep-workflow.json']))
  })

  for (const file of files) {
    it(`replays ${file}`, async () => {
      const history = historyFromJSON(JSON.parse(await readFile(join(HISTORIES, file), 'utf8')))

      await Worker.runReplayHistory({ workflowBundle: await workflowBundle() }, history, file)
    })
  }
})
