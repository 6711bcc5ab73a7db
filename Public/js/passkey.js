// Passkeys on the hosted pages (Templates/login.leaf, Templates/passkeys.leaf). A form marked
// data-passkey="get" or "create" carries the server's WebAuthn options in data-options; it is
// shown only where the browser has WebAuthn, and sent with the authenticator's answer as JSON in
// its `credential` field. Without JavaScript the forms stay hidden and the page works as before.
(function () {
  "use strict";
  if (!window.PublicKeyCredential || !navigator.credentials) return;

  function bytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    return Uint8Array.from(atob(base64), function (c) { return c.charCodeAt(0); });
  }

  function text(buffer) {
    var binary = "";
    new Uint8Array(buffer).forEach(function (b) { binary += String.fromCharCode(b); });
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (c) { return Object.assign({}, c, { id: bytes(c.id) }); });
  }

  function answer(credential) {
    var r = credential.response;
    var out = { id: credential.id, rawId: text(credential.rawId), type: credential.type, clientExtensionResults: {},
                response: { clientDataJSON: text(r.clientDataJSON) } };
    if (credential.authenticatorAttachment) out.authenticatorAttachment = credential.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = text(r.attestationObject);
      if (r.getTransports) out.response.transports = r.getTransports();
    } else {
      out.response.authenticatorData = text(r.authenticatorData);
      out.response.signature = text(r.signature);
      if (r.userHandle) out.response.userHandle = text(r.userHandle);
    }
    return JSON.stringify(out);
  }

  document.querySelectorAll("form[data-passkey]").forEach(function (form) {
    var options = JSON.parse(form.getAttribute("data-options"));
    var failed = form.querySelector(".passkey-error");
    form.hidden = false;
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (failed) failed.hidden = true;
      var publicKey = Object.assign({}, options, { challenge: bytes(options.challenge) });
      var call;
      if (form.getAttribute("data-passkey") === "create") {
        publicKey.user = Object.assign({}, options.user, { id: bytes(options.user.id) });
        publicKey.excludeCredentials = descriptors(options.excludeCredentials);
        call = navigator.credentials.create({ publicKey: publicKey });
      } else {
        publicKey.allowCredentials = descriptors(options.allowCredentials);
        call = navigator.credentials.get({ publicKey: publicKey });
      }
      call.then(function (credential) {
        form.elements.credential.value = answer(credential);
        form.submit();
      }).catch(function (error) {
        if (window.console) console.warn("passkey: " + error);
        if (failed) failed.hidden = false;
      });
    });
  });
})();
