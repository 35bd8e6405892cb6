// OpenID Provider pages: progressive enhancement only (each page works without JS).
(function () {
  "use strict";
  // response_mode=form_post: send the form at once.
  var post = document.getElementById("oidc-form-post");
  if (post && post.dataset.autosubmit === "1") {
    post.submit();
    return;
  }
  // Logged-out page: wait for the front-channel iframes (or 3 s), then continue.
  var next = document.getElementById("oidc-continue");
  if (next && next.dataset.continue) {
    var frames = document.querySelectorAll("iframe.oidc-frontchannel");
    var pending = frames.length;
    var done = false;
    var go = function () {
      if (!done) { done = true; window.location.assign(next.dataset.continue); }
    };
    if (pending === 0) { return; }  // nothing loading: let the person read the page
    frames.forEach(function (frame) {
      frame.addEventListener("load", function () { pending -= 1; if (pending <= 0) { go(); } });
    });
    window.setTimeout(go, 3000);
  }
})();
