import type { Child } from 'hono/jsx'
import { reachOf, type Permission, type Role } from '../domain/permissions'

/** One link of the navigation, shown to roles that hold any of its permissions. */
interface NavItem {
  href: string
  label: string
  anyOf: Permission[]
}

const NAV: NavItem[] = [
  { href: '/app/students', label: 'Students', anyOf: ['students:read'] },
  { href: '/app/staff', label: 'Staff', anyOf: ['staff:read'] },
  { href: '/app/sections', label: 'Classes', anyOf: ['academic:read'] },
  { href: '/app/documents', label: 'Documents', anyOf: ['documents:read', 'financial-documents:read', 'sensitive-documents:read'] },
  { href: '/app/settings', label: 'Settings', anyOf: ['settings:read'] },
  { href: '/app/ops', label: 'Ops status', anyOf: ['ops-status:read'] },
  { href: '/app/ops/backups', label: 'Backups', anyOf: ['operations:read'] },
  { href: '/app/ops/mirror', label: 'Mirror', anyOf: ['operations:read'] },
  { href: '/app/ops/retention', label: 'Retention', anyOf: ['retention:read'] },
  { href: '/app/ops/dr', label: 'Disaster recovery', anyOf: ['dr:read'] },
]

/** Returns the navigation links the roles may follow, from the permission matrix. */
export function navFor(roles: readonly Role[]): NavItem[] {
  return NAV.filter((item) => item.anyOf.some((permission) => reachOf(roles, permission) !== null))
}

/** The school's name, logo and colour for the header; null when the role may not read the settings. */
export interface Branding {
  name: string
  logoRef: string | null
  primaryColor: string | null
}

export interface LayoutProps {
  title: string
  path: string
  /** The signed-in user's roles and form token; absent on the sign-in page. */
  user?: { roles: Role[]; csrf: string }
  branding?: Branding | null
  /** Nonce of the one inline style element, which sets the school's colour. */
  styleNonce?: string
  children?: Child
}

/** The page frame: header with the school's logo, the navigation for the role, and main. */
export function Layout(props: LayoutProps) {
  const { user, branding } = props
  const brandColour = branding?.primaryColor
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · ${branding?.name ?? 'school-ops'}`}</title>
        <link rel="stylesheet" href="/app/assets/app.css" />
        {brandColour && <style nonce={props.styleNonce}>{`:root{--brand:${brandColour}}`}</style>}
        <script src="/app/assets/app.js" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header class="site">
          {branding?.logoRef && <img src={`/api/documents/${encodeURIComponent(branding.logoRef)}/file`} alt={`${branding.name} logo`} />}
          <span class="school">{branding?.name ?? 'school-ops'}</span>
          {user && (
            <form method="post" action="/app/logout" class="inline">
              <input type="hidden" name="_csrf" value={user.csrf} />
              <span>Signed in as {user.roles.join(', ')} </span>
              <button type="submit" class="secondary">
                Sign out
              </button>
            </form>
          )}
        </header>
        {user && (
          <nav aria-label="Main">
            <ul>
              <li>
                <a href="/app" aria-current={props.path === '/app' ? 'page' : undefined}>
                  Home
                </a>
              </li>
              {navFor(user.roles).map((item) => (
                <li>
                  <a href={item.href} aria-current={props.path === item.href ? 'page' : undefined}>
                    {item.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        )}
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  )
}
