/* Live password checklist. Enhances the list the server already renders (the page works
   without JavaScript: the server marks the rules after a submit). The rule keys mirror
   idp/accounts/policy.py, which stays the authority. A rule marked data-server-only (the
   list of common passwords: too big for the page), or one this script does not know, is
   never ticked here: once the password changes, the server's mark for the former one is
   cleared, and the line says it is checked on submit.

   Every mark is recomputed from the field's value when the page loads (after a failed
   submit the field comes back empty: nothing stays ticked; a server-only rule that the
   refused password failed keeps that mark until the next input) and on each input. A polite
   live region (#password-rules-summary) says "Critères respectés : 3 sur 4", changed only
   when that number changes, so a screen reader is not told about every keystroke.

   <ul class="checklist" data-password-field="password"
       data-names="Ivan|Pierre"                          (fixed names, optional)
       data-name-fields="given_name family_name"         (ids of inputs holding names, optional)
       data-given-name="…" data-family-name="…">          (alternative to data-names)
     <li data-rule="min_length" data-param="8">…</li> */
(function () {
  "use strict";

  var MIN_NAME_PART = 3;

  function fold(text) {
    return (text || "").normalize("NFKD").replace(/\p{M}/gu, "").toLowerCase();
  }

  function count(password, re) {
    var m = password.match(re);
    return m ? m.length : 0;
  }

  function classes(p) {
    var n = 0;
    if (/\p{Lu}/u.test(p)) n++;
    if (/\p{Ll}/u.test(p)) n++;
    if (/\p{Nd}/u.test(p)) n++;
    if (/[^\p{L}\p{N}]/u.test(p)) n++;
    return n;
  }

  function nameParts(names) {
    var parts = [];
    names.forEach(function (name) {
      fold(name).split(/[^\p{L}\p{N}]+/u).forEach(function (part) {
        if (part.length >= MIN_NAME_PART && parts.indexOf(part) < 0) parts.push(part);
      });
    });
    return parts;
  }

  var TESTS = {
    min_length: function (p, n) { return Array.from(p).length >= n; },
    non_letter: function (p) { return /[^\p{L}]/u.test(p); },
    upper: function (p) { return /\p{Lu}/u.test(p); },
    min_letters: function (p, n) { return count(p, /\p{L}/gu) >= n; },
    min_digits: function (p, n) { return count(p, /\p{Nd}/gu) >= n; },
    min_classes: function (p, n) { return classes(p) >= n; },
    no_name: function (p, n, names) {
      var folded = fold(p);
      return !nameParts(names).some(function (part) { return folded.indexOf(part) >= 0; });
    }
  };

  function setup(list) {
    var input = document.getElementById(list.dataset.passwordField);
    if (!input) return;
    var fieldIds = (list.dataset.nameFields || "").split(/\s+/).filter(Boolean);
    var items = Array.prototype.slice.call(list.querySelectorAll("li[data-rule]"));
    var okText = list.dataset.okText || (document.documentElement.lang === "en" ? "met" : "respecté");
    var koText = list.dataset.koText || (document.documentElement.lang === "en" ? "not met" : "non respecté");
    var summary = document.getElementById(list.id + "-summary");
    var summaryText = list.dataset.summary || "";

    function names() {
      var found = (list.dataset.names || "").split("|");
      found.push(list.dataset.givenName || "", list.dataset.familyName || "", list.dataset.birthName || "");
      fieldIds.forEach(function (id) {
        var el = document.getElementById(id);
        if (el) found.push(el.value);
      });
      return found.filter(Boolean);
    }

    function announce(met, total) {
      if (!summary || !summaryText) return;
      var text = total ? summaryText.replace("{met}", met).replace("{total}", total) : "";
      if (summary.textContent !== text) summary.textContent = text;
    }

    // atLoad: a server-only rule the refused password failed keeps that mark (its
    // reason is also under the field) until the person types again.
    function update(atLoad) {
      var password = (input.value || "").normalize("NFC");
      var currentNames = names();
      var met = 0;
      var total = 0;
      items.forEach(function (li) {
        var test = "serverOnly" in li.dataset ? null : TESTS[li.dataset.rule];
        var state = li.querySelector(".rule-state");
        if (!state) {
          state = document.createElement("span");
          state.className = "sr-only rule-state";
          li.appendChild(state);
        }
        if (atLoad === true && !test && li.classList.contains("ko")) return;
        if (!password || !test) {
          // No password yet, or a rule only the server can tell: neither met nor failed.
          li.classList.remove("ok", "ko");
          state.textContent = "";
          return;
        }
        var ok = test(password, parseInt(li.dataset.param || "0", 10), currentNames);
        total++;
        if (ok) met++;
        li.classList.toggle("ok", ok);
        li.classList.toggle("ko", !ok);
        state.textContent = " : " + (ok ? okText : koText);
      });
      announce(met, password ? total : 0);
    }

    input.addEventListener("input", function () { update(false); });
    fieldIds.forEach(function (id) {
      var el = document.getElementById(id);
      if (el) el.addEventListener("input", update);
    });
    update(true);
  }

  function init() {
    var lists = document.querySelectorAll("ul.checklist[data-password-field]");
    Array.prototype.forEach.call(lists, setup);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
