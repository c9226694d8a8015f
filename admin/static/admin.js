// Progressive enhancement of the admin pages; they work without it.
// Copy buttons put a read-only URL on the clipboard, and the "Continue to
// the provider" link of a test sign-in is followed at once.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var input = document.getElementById(button.getAttribute("data-copy"));
    if (!input || !navigator.clipboard) {
      return;
    }
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(input.value).then(function () {
        button.textContent = "Copied";
      }, function () {
        input.select();
      });
    });
  });
  var follow = document.querySelector("a[data-follow]");
  if (follow) {
    window.location.assign(follow.href);
  }
});
