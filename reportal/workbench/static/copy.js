// Copy buttons for reported URLs: shown only when this script runs (the URL text can always be
// selected and copied by hand). Copies the text exactly as shown, escapes included.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var status = document.getElementById("copy-status");
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      var source = document.getElementById(button.getAttribute("data-copy"));
      navigator.clipboard.writeText(source.textContent).then(function () {
        if (status) { status.textContent = button.textContent.replace(/^Copy /, "") + " copied."; }
      }, function () {
        if (status) { status.textContent = "Copying failed: select the text and copy it by hand."; }
      });
    });
  });
});
