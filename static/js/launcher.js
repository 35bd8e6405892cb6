/*
 * Compte launcher widget (served at /launcher/widget.js) — optional progressive enhancement.
 *
 * A service renders its menu server-side from GET /launcher/api/entries, e.g.:
 *   <nav data-compte-launcher aria-label="Mes services">
 *     <ul>
 *       <li><a href="https://formadist…/" aria-current="page">Formadist</a></li>
 *       <li><a href="https://cpf…/">Mon compte formation</a></li>
 *     </ul>
 *   </nav>
 * Without JavaScript that list of links works as it is. With this script the list becomes
 * a disclosure: a "Mes services" button (aria-expanded) that shows or hides it. When the
 * list is already inside a <details><summary> (a disclosure that needs no JavaScript), the
 * widget keeps it and only adds the keys below and closing on a click elsewhere.
 * Keyboard: Enter/Space toggle, ArrowDown opens and focuses the first link, ArrowUp/ArrowDown/
 * Home/End move between links, Escape closes and gives focus back to the button.
 * No inline styles (services may have a strict CSP): the list gets the `hidden` attribute and
 * the nav the classes `compte-launcher-enhanced`, `compte-launcher-open` and, when the list
 * would overflow the window on the right, `compte-launcher-end`. Optional default look:
 * /static/launcher/widget.css.
 */
(function () {
  "use strict";

  var counter = 0;

  function links(list) {
    return Array.prototype.slice.call(list.querySelectorAll("a[href]"));
  }

  function enhance(nav) {
    if (nav.getAttribute("data-compte-launcher-ready")) return;
    var list = nav.querySelector("ul, ol");
    if (!list) return;
    nav.setAttribute("data-compte-launcher-ready", "1");
    nav.classList.add("compte-launcher-enhanced");
    var details = nav.querySelector("details");
    var button, isOpen, setOpenState;

    if (details && details.contains(list)) {
      // Already a no-JavaScript disclosure (<details><summary>): keep it, add the keys.
      button = details.querySelector("summary");
      if (!button) return;
      isOpen = function () {
        return details.open;
      };
      setOpenState = function (open) {
        details.open = open;
      };
      details.addEventListener("toggle", function () {
        nav.classList.toggle("compte-launcher-open", details.open);
      });
    } else {
      counter += 1;
      if (!list.id) list.id = "compte-launcher-list-" + counter;
      button = document.createElement("button");
      button.type = "button";
      button.className = "compte-launcher-button";
      button.setAttribute("aria-expanded", "false");
      button.setAttribute("aria-controls", list.id);
      button.textContent = nav.getAttribute("data-compte-launcher-label") || "Mes services";
      list.parentNode.insertBefore(button, list);
      list.hidden = true;
      isOpen = function () {
        return button.getAttribute("aria-expanded") === "true";
      };
      setOpenState = function (open) {
        button.setAttribute("aria-expanded", open ? "true" : "false");
        list.hidden = !open;
      };
      button.addEventListener("click", function () {
        setOpen(!isOpen());
      });
    }

    function setOpen(open) {
      setOpenState(open);
      nav.classList.toggle("compte-launcher-open", open);
      if (open) {
        // Near the right edge of the window, open towards the left (class for the CSS).
        nav.classList.remove("compte-launcher-end");
        if (list.getBoundingClientRect().right > document.documentElement.clientWidth) {
          nav.classList.add("compte-launcher-end");
        }
      }
    }

    function focusLink(index) {
      var items = links(list);
      if (!items.length) return;
      var i = (index + items.length) % items.length;
      items[i].focus();
    }

    button.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        setOpen(true);
        focusLink(0);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        setOpen(true);
        focusLink(-1);
      } else if (event.key === "Escape" && isOpen()) {
        event.preventDefault();
        setOpen(false);
      }
    });

    list.addEventListener("keydown", function (event) {
      var items = links(list);
      var index = items.indexOf(document.activeElement);
      if (event.key === "ArrowDown") {
        event.preventDefault();
        focusLink(index + 1);
      } else if (event.key === "ArrowUp") {
        event.preventDefault();
        focusLink(index - 1);
      } else if (event.key === "Home") {
        event.preventDefault();
        focusLink(0);
      } else if (event.key === "End") {
        event.preventDefault();
        focusLink(-1);
      } else if (event.key === "Escape") {
        event.preventDefault();
        setOpen(false);
        button.focus();
      }
    });

    // Close when focus or a click goes elsewhere on the page.
    nav.addEventListener("focusout", function (event) {
      if (isOpen() && event.relatedTarget && !nav.contains(event.relatedTarget)) {
        setOpen(false);
      }
    });
    document.addEventListener("click", function (event) {
      if (isOpen() && !nav.contains(event.target)) setOpen(false);
    });
  }

  function start() {
    var navs = document.querySelectorAll("[data-compte-launcher]");
    for (var i = 0; i < navs.length; i += 1) enhance(navs[i]);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
