// The app's one style sheet and one script, served from /app/assets so the Content-Security-
// Policy can forbid inline scripts. Each is a constant, so there is no front-end build.

export const STYLE_SHEET = `
*,*::before,*::after{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,sans-serif;color:#1b1b1b;background:#fff}
a{color:#0b57a4}
a:focus,button:focus,input:focus,select:focus,textarea:focus,summary:focus{outline:3px solid #f4b400;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header.site{display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1rem;padding:.5rem 1rem;border-bottom:4px solid var(--brand,#0b57a4)}
header.site img{max-height:48px;max-width:160px}
header.site .school{font-weight:700;font-size:1.2rem;margin-right:auto}
nav ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;margin:0;padding:.5rem 1rem;background:#f2f4f7}
nav a[aria-current=page]{font-weight:700}
main{padding:1rem;max-width:72rem}
.field{margin:0 0 1rem}
.field label{display:block;font-weight:600}
input,select,textarea{font:inherit;padding:.4rem;border:1px solid #666;border-radius:3px;max-width:100%;width:24rem}
input[type=checkbox],input[type=radio]{width:auto}
input[aria-invalid=true],select[aria-invalid=true]{border:2px solid #b00020}
.error{color:#b00020;margin:.2rem 0 0}
.hint{color:#555;margin:.2rem 0 0;font-size:.9rem}
button,.button{font:inherit;padding:.4rem .9rem;border:1px solid #0b57a4;background:#0b57a4;color:#fff;border-radius:3px;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:#0b57a4}
button.danger{background:#b00020;border-color:#b00020}
.notice{border-left:4px solid #2e7d32;background:#eef7ee;padding:.5rem 1rem}
.alert{border-left:4px solid #b00020;background:#fdecee;padding:.5rem 1rem}
.table-wrap{overflow-x:auto}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.35rem .5rem;border-bottom:1px solid #ddd;vertical-align:top}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem}
dt{font-weight:600}
dd{margin:0}
.inline{display:inline}
.stage-succeeded{color:#2e7d32}.stage-failed{color:#b00020}.stage-waiting{color:#9a6700}
img.photo{max-width:160px;border:1px solid #ccc}
@media (max-width:40rem){input,select,textarea{width:100%}dl{grid-template-columns:1fr}main{padding:.5rem}}
`

export const SCRIPT = `
(function () {
  // Uploads with a progress bar; the form still posts normally where this script does not run.
  document.querySelectorAll('form[data-upload]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      event.preventDefault()
      var progress = form.querySelector('progress')
      var status = form.querySelector('[data-upload-status]')
      form.querySelectorAll('[data-error-for]').forEach(function (node) { node.textContent = '' })
      var request = new XMLHttpRequest()
      request.open('POST', form.getAttribute('data-upload'))
      request.upload.addEventListener('progress', function (e) {
        if (!e.lengthComputable) return
        progress.hidden = false
        progress.value = Math.round((e.loaded / e.total) * 100)
        status.textContent = 'Uploading: ' + progress.value + ' %'
      })
      request.addEventListener('load', function () {
        var body = {}
        try { body = JSON.parse(request.responseText) } catch (ignored) {}
        if (request.status === 201) {
          status.textContent = 'Uploaded.'
          window.location.assign(form.getAttribute('data-next').replace('{id}', body.id))
          return
        }
        var fields = body.fields || {}
        Object.keys(fields).forEach(function (name) {
          var node = form.querySelector('[data-error-for="' + name + '"]')
          if (node) node.textContent = fields[name]
        })
        status.textContent = 'Not uploaded: ' + (body.error || request.status)
      })
      request.addEventListener('error', function () { status.textContent = 'Not uploaded: the connection failed; try again.' })
      status.textContent = 'Uploading…'
      request.send(new FormData(form))
    })
  })

  // Live DR report: replaces the report with a fresh copy every few seconds while the run is active.
  var report = document.querySelector('[data-poll]')
  if (report) {
    var poll = function () {
      if (report.getAttribute('data-active') !== 'true') return
      // Someone typing a reason into a form of the report keeps what they typed.
      if (report.contains(document.activeElement)) { setTimeout(poll, 2000); return }
      fetch(report.getAttribute('data-poll'), { credentials: 'same-origin' })
        .then(function (response) { return response.ok ? response.text() : null })
        .then(function (html) {
          if (html === null) return
          var holder = document.createElement('div')
          holder.innerHTML = html
          var fresh = holder.firstElementChild
          if (fresh) { report.replaceWith(fresh); report = fresh }
        })
        .catch(function () {})
        .then(function () { setTimeout(poll, 2000) })
    }
    setTimeout(poll, 2000)
  }
})()
`
