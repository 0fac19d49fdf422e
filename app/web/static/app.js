// tokenpatrol web UI: the only script. Everything works without it; it adds copy buttons
// and fills the invite token from the link's #fragment (which never reaches the server).
"use strict";

(function () {
  function fillInviteToken() {
    var field = document.querySelector("input[data-from-hash]");
    if (!field || !window.location.hash) {
      return;
    }
    var token = decodeURIComponent(window.location.hash.slice(1));
    if (token.indexOf(field.getAttribute("data-from-hash")) === 0) {
      field.value = token;
    }
    // Take the token out of the address bar and the session history.
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }

  function enableCopyButtons() {
    var buttons = document.querySelectorAll("button[data-copy-target]");
    Array.prototype.forEach.call(buttons, function (button) {
      var name = button.getAttribute("data-copy-target");
      var target = document.getElementById(name);
      var status = document.querySelector("[data-copy-status='" + name + "']");
      if (!target || !navigator.clipboard) {
        return;
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(target.textContent.trim()).then(
          function () { if (status) { status.textContent = "Copied."; } },
          function () { if (status) { status.textContent = "Copying failed: select the text and copy it."; } }
        );
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    fillInviteToken();
    enableCopyButtons();
  });
})();
