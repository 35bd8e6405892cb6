/* Forms of every page, added by this script so that without JavaScript nothing broken
   appears:
   - after a failed submit, the focus goes to the error summary ([data-error-summary],
     from the form_errors macro or the login page's message), so that a keyboard or screen
     reader user starts from the list of errors, each a link to its field;
   - an "Afficher le mot de passe" button after each password field (input[data-show-password],
     labels from the server, translated): its label says what it will do ("Masquer…" once
     shown), so no aria-pressed (a screen reader would announce the state twice); switches
     type password/text, the focus stays on the button; a form is always sent with its
     passwords hidden again. */
(function () {
  "use strict";

  function focusSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) summary.focus();
  }

  function addToggle(input) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "password-toggle link-button";
    button.setAttribute("aria-controls", input.id);
    function show(visible) {
      input.type = visible ? "text" : "password";
      button.textContent = visible ? input.dataset.hidePassword : input.dataset.showPassword;
    }
    show(false);
    button.addEventListener("click", function () {
      show(input.type === "password");
    });
    if (input.form) {
      input.form.addEventListener("submit", function () { show(false); });
    }
    input.insertAdjacentElement("afterend", button);
  }

  function init() {
    var inputs = document.querySelectorAll("input[data-show-password]");
    Array.prototype.forEach.call(inputs, addToggle);
    focusSummary();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
