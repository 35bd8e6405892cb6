/* The recovery codes' page: "Copier les codes" and "Imprimer". The page works without
   JavaScript (the codes are text to select, the .txt link downloads them); these buttons
   stay hidden until this script can make them work. */
(function () {
  "use strict";

  var status = document.getElementById("copy-status");

  function say(message) {
    if (status) {
      status.textContent = message;
    }
  }

  var copy = document.querySelector("[data-copy-codes]");
  if (copy && navigator.clipboard && window.isSecureContext) {
    copy.hidden = false;
    copy.addEventListener("click", function () {
      navigator.clipboard.writeText(copy.getAttribute("data-copy-codes")).then(
        function () { say(copy.getAttribute("data-copied")); },
        function () { say(""); }
      );
    });
  }

  var print = document.querySelector("[data-print]");
  if (print && typeof window.print === "function") {
    print.hidden = false;
    print.addEventListener("click", function () { window.print(); });
  }
})();
