// Captcha enhancement: "Nouveaux caractères" swaps the image and the sound in place
// (POST /captcha/new with the CSRF header) instead of sending the whole form.
// Without JavaScript, or if the request fails, the button submits the form as usual.
(function () {
  "use strict";

  function renew(block, button) {
    var idField = block.querySelector('input[name="captcha_id"]');
    var image = block.querySelector(".captcha-image");
    var audio = block.querySelector(".captcha-audio");
    var link = block.querySelector(".captcha-audio-link");
    var answer = block.querySelector('input[name="captcha_answer"]');
    var status = block.querySelector(".captcha-status");
    button.disabled = true;
    return fetch(block.getAttribute("data-captcha-new"), {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": block.getAttribute("data-csrf")
      },
      body: JSON.stringify({ previous: idField.value })
    })
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.json();
      })
      .then(function (data) {
        idField.value = data.id;
        image.src = data.image;
        if (audio) { audio.pause(); audio.src = data.audio; audio.load(); }
        if (link) { link.href = data.audio; }
        if (answer) { answer.value = ""; answer.focus(); }
        if (status) {
          status.textContent = block.getAttribute("data-renewed") || "";
        }
        button.disabled = false;
      });
  }

  function setUp(block) {
    var button = block.querySelector(".captcha-renew");
    if (!button || !window.fetch || block.getAttribute("data-captcha-ready")) { return; }
    block.setAttribute("data-captcha-ready", "1");
    button.addEventListener("click", function (event) {
      event.preventDefault();
      renew(block, button).catch(function () {
        // Fall back to the plain form submission (the server renews the characters).
        button.disabled = false;
        var form = button.form;
        if (form && form.requestSubmit) { form.requestSubmit(button); } else if (form) {
          var marker = document.createElement("input");
          marker.type = "hidden";
          marker.name = button.name;
          marker.value = button.value;
          form.appendChild(marker);
          form.submit();
        }
      });
    });
  }

  function start() {
    var blocks = document.querySelectorAll("[data-captcha]");
    for (var i = 0; i < blocks.length; i++) { setUp(blocks[i]); }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
