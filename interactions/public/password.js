// Progressive enhancement for password fields: show/hide toggle, strength gauge, and a
// busy state on submit. The pages work without it.
(function () {
  document.querySelectorAll('.toggle-password').forEach(function (button) {
    var input = document.getElementById(button.getAttribute('data-target'));
    if (!input) return;
    button.hidden = false;
    button.addEventListener('click', function () {
      var show = input.type === 'password';
      input.type = show ? 'text' : 'password';
      button.textContent = button.getAttribute(show ? 'data-hide' : 'data-show');
      button.setAttribute('aria-pressed', String(show));
    });
  });

  document.querySelectorAll('form').forEach(function (form) {
    form.addEventListener('submit', function () {
      form.querySelectorAll('button[type=submit]').forEach(function (b) { b.setAttribute('disabled', ''); });
      document.querySelectorAll('.toggle-password').forEach(function (b) {
        var input = document.getElementById(b.getAttribute('data-target'));
        if (input) input.type = 'password';
      });
    });
  });

  var form = document.querySelector('form[data-strength-url]');
  var input = document.getElementById('new-password');
  var box = document.getElementById('strength');
  if (!form || !input || !box) return;
  var meter = document.getElementById('strength-meter');
  var text = document.getElementById('strength-text');
  var labels = JSON.parse(text.getAttribute('data-labels') || '[]');
  var csrf = form.querySelector('input[name=csrf]').value;
  var timer;
  box.hidden = false;
  input.addEventListener('input', function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      if (!input.value) { meter.value = 0; text.textContent = ''; return; }
      fetch(form.getAttribute('data-strength-url'), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ csrf: csrf, password: input.value }).toString(),
        credentials: 'same-origin',
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (result) {
          if (!result) return;
          meter.value = result.score;
          text.textContent = labels[result.score] || '';
        })
        .catch(function () {});
    }, 250);
  });
})();
