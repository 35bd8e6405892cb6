/* Passkeys (WebAuthn): add one on the Sécurité page, sign in with one on the login page
   (the button, and the browser's autofill in the identifier field where it offers
   passkeys: "conditional mediation"), use one as the second step of a sign-in.

   Each place is an element rendered by the server with what this script needs:
     <div data-passkey="add|login|second-factor" hidden
          data-options-url="…" data-verify-url="…" data-csrf="…"
          data-msg-cancelled="…" …>              (the words, translated by the server)
       <button data-passkey-start>…</button>
       <div role="alert" data-passkey-error></div>
     </div>
   It stays hidden where the browser has no WebAuthn; [data-passkey-unsupported] is then
   shown instead. The server checks everything: this script only carries bytes. */
(function () {
  "use strict";

  var places = Array.prototype.slice.call(document.querySelectorAll("[data-passkey]"));
  var supported = !!(window.PublicKeyCredential && navigator.credentials);

  document.querySelectorAll("[data-passkey-unsupported]").forEach(function (note) {
    note.hidden = supported;
  });
  if (!supported) return;

  // --- base64url <-> bytes (WebAuthn gives ArrayBuffers; JSON carries base64url) -------

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      var copy = { type: item.type, id: toBytes(item.id) };
      if (item.transports && item.transports.length) copy.transports = item.transports;
      return copy;
    });
  }

  function creationOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.user = Object.assign({}, json.user, { id: toBytes(json.user.id) });
    options.excludeCredentials = descriptors(json.excludeCredentials);
    return options;
  }

  function requestOptions(json) {
    var options = Object.assign({}, json);
    options.challenge = toBytes(json.challenge);
    options.allowCredentials = descriptors(json.allowCredentials);
    return options;
  }

  function credentialJSON(credential) {
    var r = credential.response;
    var response = { clientDataJSON: toText(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toText(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toText(r.authenticatorData);
      response.signature = toText(r.signature);
      if (r.userHandle) response.userHandle = toText(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults
        ? credential.getClientExtensionResults()
        : {},
      response: response
    };
  }

  // --- Talking to the server ---------------------------------------------------------

  var leaving = false; // a redirect was asked for: start nothing more

  function Failure(message) {
    this.message = message;
  }

  function post(place, url, body) {
    var init = {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Accept": "application/json",
        "Content-Type": "application/json",
        "X-CSRFToken": place.dataset.csrf
      },
      body: JSON.stringify(body || {})
    };
    return fetch(url, init).then(
      function (answer) {
        var json = (answer.headers.get("Content-Type") || "").indexOf("json") >= 0;
        if (answer.status === 429) throw new Failure(place.dataset.msgTooMany);
        if (!json) throw new Failure(place.dataset.msgExpiredPage);
        return answer.json().then(function (data) {
          if (data.redirect && !data.error) {
            leaving = true;
            window.location.assign(data.redirect);
            return null; // leaving the page
          }
          if (!answer.ok || data.error) {
            var failure = new Failure(data.error || data.error_description || place.dataset.msgFailed);
            failure.restart = data.redirect;
            throw failure;
          }
          return data;
        });
      },
      function () {
        throw new Failure(place.dataset.msgNetwork);
      }
    );
  }

  // The words for what the browser or the authenticator refused.
  function words(place, error) {
    if (error instanceof Failure) return error.message;
    var name = error && error.name;
    var kind = place.dataset.passkey;
    if (name === "NotAllowedError") {
      return kind === "add" ? place.dataset.msgCreateCancelled : place.dataset.msgCancelled;
    }
    if (name === "InvalidStateError") return place.dataset.msgAlreadyRegistered;
    if (name === "SecurityError") return place.dataset.msgNotHere;
    if (name === "NotSupportedError") return place.dataset.msgNotSupported;
    return place.dataset.msgFailed;
  }

  function show(place, message, restart) {
    var zone = place.querySelector("[data-passkey-error]");
    zone.textContent = "";
    if (!message) return;
    var text = document.createElement("p");
    text.textContent = message;
    zone.appendChild(text);
    if (restart) {
      var link = document.createElement("a");
      link.href = restart;
      link.textContent = place.dataset.msgRestart;
      zone.appendChild(link);
    }
  }

  function busy(button, on) {
    button.disabled = on;
    button.setAttribute("aria-busy", on ? "true" : "false");
  }

  // --- The three places ----------------------------------------------------------------

  function verify(place, credential, extra) {
    if (!credential) return null;
    var body = Object.assign({ credential: credentialJSON(credential) }, extra || {});
    return post(place, place.dataset.verifyUrl, body);
  }

  function setupAdd(place, button) {
    var nameField = place.querySelector("[data-passkey-name]");
    button.addEventListener("click", function () {
      show(place, "");
      busy(button, true);
      post(place, place.dataset.optionsUrl)
        .then(function (data) {
          if (!data) return null;
          return navigator.credentials.create({ publicKey: creationOptions(data.publicKey) });
        })
        .then(function (credential) {
          return verify(place, credential, { name: nameField ? nameField.value : "" });
        })
        .catch(function (error) {
          show(place, words(place, error), error.restart);
        })
        .then(function () {
          busy(button, false);
        });
    });
  }

  // One sign-in: options, the browser's request, the check. `quiet` is the autofill
  // request, which waits in the background: it leaves the button alone. Resolves to
  // true when a passkey was chosen but refused (the autofill is then offered again).
  function signIn(place, button, quiet, extra, sent) {
    var chosen = false;
    if (!quiet) {
      show(place, "");
      busy(button, true);
    }
    var options = post(place, place.dataset.optionsUrl);
    if (sent) sent(options);
    return options
      .then(function (data) {
        if (!data) return null;
        return navigator.credentials.get(
          Object.assign({ publicKey: requestOptions(data.publicKey) }, extra || {})
        );
      })
      .then(function (credential) {
        chosen = !!credential;
        if (chosen && quiet) show(place, "");
        return verify(place, credential);
      })
      .then(
        function () { return false; },
        function (error) {
          if (error && error.name === "AbortError") return false; // the button took over
          show(place, words(place, error), error.restart);
          return chosen;
        }
      )
      .then(function (refused) {
        if (!quiet) busy(button, false);
        return refused;
      });
  }

  function setupLogin(place, button) {
    // Autofill: the browser lists this site's passkeys under the identifier field
    // (autocomplete="username webauthn") and the request waits until one is chosen. The
    // button cancels it first: a page has one WebAuthn request at a time, and the
    // session one challenge (so the button waits for the autofill's options to arrive
    // before asking for its own, or the older answer could overwrite the newer one).
    var controller = null;
    var lastOptions = Promise.resolve();
    var check = PublicKeyCredential.isConditionalMediationAvailable;

    function autofill() {
      if (!check || !window.AbortController) return;
      check.call(PublicKeyCredential).then(function (available) {
        if (!available) return;
        controller = new AbortController();
        var signal = controller.signal;
        signIn(place, button, true, { mediation: "conditional", signal: signal }, function (sent) {
          lastOptions = sent.catch(function () {});
        }).then(function (refused) {
          // After a refused passkey, the autofill is offered again.
          if (refused && !signal.aborted && !leaving) autofill();
        });
      }).catch(function () { /* no autofill here: the button still works */ });
    }

    button.addEventListener("click", function () {
      if (controller) controller.abort();
      controller = null;
      lastOptions.then(function () {
        signIn(place, button, false);
      });
    });
    autofill();
  }

  places.forEach(function (place) {
    var button = place.querySelector("[data-passkey-start]");
    if (!button) return;
    place.hidden = false;
    var kind = place.dataset.passkey;
    if (kind === "add") setupAdd(place, button);
    else if (kind === "login") setupLogin(place, button);
    else if (kind === "second-factor") {
      button.addEventListener("click", function () { signIn(place, button, false); });
    }
  });
})();
