// The invitation code arrives after "#" in the link, which the browser never sends to the
// server. Move it into the form (which POSTs it) and take it out of the address bar and history.
(function () {
  var code = window.location.hash.replace(/^#/, "");
  if (!code) return;
  var field = document.getElementById("id_code");
  if (field) field.value = decodeURIComponent(code);
  window.history.replaceState(null, "", window.location.pathname);
})();
