import type { Permission } from '../domain/permissions'

/** One route and the permission it requires, or `public` for routes anyone may call. */
export interface CatalogedRoute {
  method: string
  /** OpenAPI-style path, for example `/api/students/{id}`. */
  path: string
  permission: Permission | 'public' | 'signed-in'
}

/**
 * Every route the app serves, with its permission. The access test walks this list with
 * every role, and checks that the OpenAPI document lists no route missing from it.
 */
export class RouteCatalog {
  readonly routes: CatalogedRoute[] = []

  add(route: CatalogedRoute): void {
    this.routes.push(route)
  }
}
