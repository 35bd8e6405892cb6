// OpenID Provider pages: progressive enhancement only (each page works without JS).
(function () {
  "use strict";
  // response_mode=form_post: send the form at once.
  var post = document.getElementById("oidc-form-post");
  if (post && post.dataset.autosubmit === "1") {
    post.submit();
    return;
  }
  // Logged-out page. Going back to the service that asked for the logout: wait for the
  // front-channel iframes (the window's load event waits for them; at most 3 s), then
  // continue. Otherwise the page stays (it names the services that were told) and says
  // when every iframe has answered.
  var frames = document.querySelectorAll("iframe.oidc-frontchannel");
  var next = document.getElementById("oidc-continue");
  var status = document.getElementById("logout-frames-done");
  if (frames.length === 0 || !(next || status)) { return; }  // nothing loading: let the person read
  var done = false;
  var finish = function () {
    if (done) { return; }
    done = true;
    if (next && next.dataset.continue) { window.location.assign(next.dataset.continue); }
    else if (status) { status.hidden = false; }
  };
  if (document.readyState === "complete") { finish(); }
  else { window.addEventListener("load", finish); }
  if (next) { window.setTimeout(finish, 3000); }
})();
