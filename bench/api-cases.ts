import type { LoadTarget } from './api-load'
import type { BenchData } from './api-seed'

/** One measured request pattern, once against our API and once against the bare server. */
export interface BenchCase {
  name: string
  kind: 'list' | 'get'
  api: LoadTarget
  bare: LoadTarget
}

const PAGE_SIZE = 25

/**
 * Builds the four cases: the list and the get of students, as admin (every student of the
 * school) and as teacher (the students of their section). `get` cases take the ids in turn,
 * so every request reads a different row than the one before.
 */
export function buildCases(data: BenchData, apiUrl: string, bareUrl: string): BenchCase[] {
  const users = [
    { role: 'admin', token: data.admin.token, ids: data.studentIds },
    { role: 'teacher', token: data.teacher.token, ids: data.teacherStudentIds },
  ] as const

  return users.flatMap(({ role, token, ids }) => {
    const api = { baseUrl: apiUrl, headers: { authorization: `Bearer ${token}` } }
    const bare = { baseUrl: bareUrl, headers: {} }
    return [
      {
        name: `${role} list`,
        kind: 'list' as const,
        api: { ...api, paths: [`/api/students?limit=${PAGE_SIZE}&sort=lastName`] },
        bare: { ...bare, paths: [`/${role}/students?limit=${PAGE_SIZE}`] },
      },
      {
        name: `${role} get`,
        kind: 'get' as const,
        api: { ...api, paths: ids.map((id) => `/api/students/${id}`) },
        bare: { ...bare, paths: ids.map((id) => `/${role}/students/${id}`) },
      },
    ]
  })
}

async function fetchJson(target: LoadTarget): Promise<unknown> {
  const url = `${target.baseUrl}${target.paths[0]}`
  const response = await fetch(url, { headers: target.headers })
  if (response.status !== 200) throw new Error(`GET ${url} returned ${response.status}: ${await response.text()}`)
  return response.json()
}

function idsOf(page: unknown): string[] {
  return ((page as { items?: { id: string }[] }).items ?? []).map((item) => item.id)
}

/**
 * Rejects a case whose API and bare responses name different students, which would make the
 * comparison meaningless: a list must return the same 25 ids in the same order, a get the
 * same record.
 */
export async function checkEquivalence(benchCase: BenchCase): Promise<void> {
  const [api, bare] = await Promise.all([fetchJson(benchCase.api), fetchJson(benchCase.bare)])

  if (benchCase.kind === 'list') {
    const apiIds = idsOf(api)
    const bareIds = idsOf(bare)
    if (apiIds.length !== PAGE_SIZE || apiIds.join() !== bareIds.join()) {
      throw new Error(`${benchCase.name}: the API returned ids ${apiIds.join(', ')} but the bare server ${bareIds.join(', ')}`)
    }
    return
  }

  const apiRecord = api as { id?: string; lastName?: string }
  const bareRecord = bare as { id?: string; last_name?: string }
  if (apiRecord.id !== bareRecord.id || apiRecord.lastName !== bareRecord.last_name) {
    throw new Error(`${benchCase.name}: the API returned ${JSON.stringify(api)} but the bare server ${JSON.stringify(bare)}`)
  }
}
