/*
 * The bridge's only script, served at /assets/passkey.js (Content-Security-Policy script-src 'self'):
 * a form with `data-passkey="get"` or `"create"` runs that WebAuthn ceremony with the options of its
 * `data-options` (the JSON @simplewebauthn/server makes: binary values base64url) and posts the
 * credential as JSON in its `response` field, binary values base64url again. A refusal or a cancel
 * shows the form's `data-failed` text and posts nothing. No framework; works in every browser with
 * WebAuthn Level 2.
 */
export const passkeyScript = `(function () {
  'use strict'
  function toBytes(text) {
    var base64 = text.replace(/-/g, '+').replace(/_/g, '/')
    while (base64.length % 4) base64 += '='
    var raw = atob(base64)
    var bytes = new Uint8Array(raw.length)
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i)
    return bytes.buffer
  }
  function toText(buffer) {
    if (!buffer) return undefined
    var bytes = new Uint8Array(buffer)
    var raw = ''
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i])
    return btoa(raw).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')
  }
  function publicKeyOf(ceremony, options) {
    var key = Object.assign({}, options, { challenge: toBytes(options.challenge) })
    if (ceremony === 'create') {
      key.user = Object.assign({}, options.user, { id: toBytes(options.user.id) })
      key.excludeCredentials = (options.excludeCredentials || []).map(function (c) {
        return Object.assign({}, c, { id: toBytes(c.id) })
      })
    } else {
      key.allowCredentials = (options.allowCredentials || []).map(function (c) {
        return Object.assign({}, c, { id: toBytes(c.id) })
      })
    }
    return key
  }
  function answerOf(credential) {
    var response = credential.response
    var answer = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
      response: { clientDataJSON: toText(response.clientDataJSON) }
    }
    if (response.attestationObject) {
      answer.response.attestationObject = toText(response.attestationObject)
      answer.response.transports = response.getTransports ? response.getTransports() : []
    } else {
      answer.response.authenticatorData = toText(response.authenticatorData)
      answer.response.signature = toText(response.signature)
      answer.response.userHandle = toText(response.userHandle)
    }
    return answer
  }
  function failed(form) {
    var shown = form.querySelector('p.error')
    if (!shown) {
      shown = document.createElement('p')
      shown.className = 'error'
      shown.setAttribute('role', 'alert')
      form.insertBefore(shown, form.firstChild)
    }
    shown.textContent = form.getAttribute('data-failed')
  }
  document.querySelectorAll('form[data-passkey]').forEach(function (form) {
    form.addEventListener('submit', function (event) {
      var field = form.querySelector('input[name=response]')
      if (field.value !== '') return
      event.preventDefault()
      if (!window.PublicKeyCredential) return failed(form)
      var ceremony = form.getAttribute('data-passkey')
      var publicKey = publicKeyOf(ceremony, JSON.parse(form.getAttribute('data-options')))
      var asked = ceremony === 'create'
        ? navigator.credentials.create({ publicKey: publicKey })
        : navigator.credentials.get({ publicKey: publicKey })
      asked.then(function (credential) {
        field.value = JSON.stringify(answerOf(credential))
        form.submit()
      }, function () { failed(form) })
    })
  })
})()
`
