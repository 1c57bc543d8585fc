// Backup codes page: a print button (needs script, so it starts hidden).
(function () {
  document.querySelectorAll('[data-print]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () { window.print(); });
  });
})();
