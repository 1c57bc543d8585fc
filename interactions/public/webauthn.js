// WebAuthn ceremonies of the hosted pages. Each form[data-webauthn] gets fresh options
// from the server (which keeps the challenge), runs the browser ceremony through
// @simplewebauthn/browser and posts the answer. Without WebAuthn, or when the user
// cancels or the browser times out, the form says so and the other methods stay.
(function () {
  var lib = window.SimpleWebAuthnBrowser;

  function say(el, text) {
    if (!el) return;
    el.textContent = text || '';
    el.hidden = !text;
  }

  function failure(form, err) {
    var name = err && err.name;
    var code = err && err.code;
    if (code === 'ERROR_AUTHENTICATOR_PREVIOUSLY_REGISTERED' || name === 'InvalidStateError') return form.dataset.msgDuplicate;
    if (name === 'NotAllowedError' || name === 'AbortError' || code === 'ERROR_CEREMONY_ABORTED') return form.dataset.msgCancelled;
    return form.dataset.msgFailed;
  }

  document.querySelectorAll('form[data-webauthn]').forEach(function (form) {
    var kind = form.dataset.webauthn;
    var button = form.querySelector('[data-webauthn-start]');
    var error = form.querySelector('[data-webauthn-error]');
    var status = form.querySelector('[data-webauthn-status]');
    if (!lib || !lib.browserSupportsWebAuthn()) {
      say(error, form.dataset.msgUnsupported);
      return;
    }
    button.hidden = false;
    button.addEventListener('click', function () {
      button.disabled = true;
      say(error, '');
      say(status, form.dataset.msgWorking);
      fetch(form.dataset.optionsUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: form.elements.csrf.value }).toString(),
      })
        .then(function (res) {
          if (!res.ok) throw new Error('options request failed: ' + res.status);
          return res.json();
        })
        .then(function (optionsJSON) {
          return kind === 'register' ? lib.startRegistration({ optionsJSON: optionsJSON }) : lib.startAuthentication({ optionsJSON: optionsJSON });
        })
        .then(function (answer) {
          form.elements.response.value = JSON.stringify(answer);
          form.submit();
        })
        .catch(function (err) {
          say(status, '');
          say(error, failure(form, err));
          button.disabled = false;
        });
    });
  });
})();
