import type { Child } from 'hono/jsx'

/** One form field: its API name, label and input type, and whether it may be left empty. */
export interface FieldSpec {
  name: string
  label: string
  type?: 'text' | 'password' | 'email' | 'tel' | 'date' | 'number' | 'color' | 'select' | 'textarea' | 'file'
  required?: boolean
  options?: readonly (readonly [value: string, label: string])[]
  hint?: string
  autocomplete?: string
}

export type FormValues = Record<string, string>
export type FieldErrors = Record<string, string>

const fieldId = (name: string) => `field-${name}`
const errorId = (name: string) => `error-${name}`

/** Renders a labelled input with its hint and, below it, the error that concerns it. */
export function Field(props: { spec: FieldSpec; value?: string; error?: string }) {
  const { spec, error } = props
  const id = fieldId(spec.name)
  const describedBy = [spec.hint ? `hint-${spec.name}` : null, errorId(spec.name)].filter(Boolean).join(' ')
  const common = {
    id,
    name: spec.name,
    required: spec.required,
    'aria-invalid': error ? 'true' : undefined,
    'aria-describedby': describedBy,
  }

  let input: Child
  if (spec.type === 'select') {
    input = (
      <select {...common}>
        {!spec.required && <option value="">—</option>}
        {(spec.options ?? []).map(([value, label]) => (
          <option value={value} selected={value === props.value}>
            {label}
          </option>
        ))}
      </select>
    )
  } else if (spec.type === 'textarea') {
    input = <textarea {...common} rows={3}>{props.value ?? ''}</textarea>
  } else {
    input = <input {...common} type={spec.type ?? 'text'} value={spec.type === 'file' ? undefined : (props.value ?? '')} autocomplete={spec.autocomplete} />
  }

  return (
    <div class="field">
      <label for={id}>
        {spec.label}
        {spec.required ? ' (required)' : ''}
      </label>
      {input}
      {spec.hint && (
        <p class="hint" id={`hint-${spec.name}`}>
          {spec.hint}
        </p>
      )}
      <p class="error" id={errorId(spec.name)} data-error-for={spec.name}>
        {error ?? ''}
      </p>
    </div>
  )
}

/** Renders the fields of a form, each with its value and error. */
export function Fields(props: { specs: readonly FieldSpec[]; values: FormValues; errors: FieldErrors }) {
  return (
    <>
      {props.specs.map((spec) => (
        <Field spec={spec} value={props.values[spec.name]} error={props.errors[spec.name]} />
      ))}
    </>
  )
}

export function CsrfField(props: { token: string }) {
  return <input type="hidden" name="_csrf" value={props.token} />
}

/**
 * Summarises a failed submit at the top of a form: the message, and the errors of fields the
 * form does not show (such as the record version), since those have no field to sit beside.
 */
export function FormAlert(props: { message?: string | null; errors?: FieldErrors; specs?: readonly FieldSpec[] }) {
  const shown = new Set((props.specs ?? []).map((spec) => spec.name))
  const others = Object.entries(props.errors ?? {}).filter(([name]) => !shown.has(name))
  if (!props.message && others.length === 0) return null
  return (
    <div class="alert" role="alert">
      {props.message && <p>{props.message}</p>}
      {others.length > 0 && (
        <ul>
          {others.map(([name, problem]) => (
            <li>
              {name}: {problem}
            </li>
          ))}
        </ul>
      )}
    </div>
  )
}

/** Turns a record from the API into form values: every field as a string, null as empty. */
export function valuesOf(record: Record<string, unknown>, specs: readonly FieldSpec[]): FormValues {
  return Object.fromEntries(specs.map((spec) => [spec.name, record[spec.name] === null || record[spec.name] === undefined ? '' : String(record[spec.name])]))
}

/** Reads a urlencoded form body into trimmed strings. */
export function formValues(body: Record<string, unknown>, specs: readonly FieldSpec[]): FormValues {
  return Object.fromEntries(specs.map((spec) => [spec.name, typeof body[spec.name] === 'string' ? (body[spec.name] as string).trim() : '']))
}

/**
 * Builds the API input from form values. An empty field is left out of a new record and
 * cleared (null) on an update; number fields become numbers. The API validates the rest.
 */
export function inputOf(values: FormValues, specs: readonly FieldSpec[], mode: 'create' | 'update'): Record<string, unknown> {
  const input: Record<string, unknown> = {}
  for (const spec of specs) {
    const value = values[spec.name] ?? ''
    if (value === '') {
      if (mode === 'update' && !spec.required) input[spec.name] = null
      else if (spec.required) input[spec.name] = ''
      continue
    }
    input[spec.name] = spec.type === 'number' ? Number(value) : value
  }
  return input
}
