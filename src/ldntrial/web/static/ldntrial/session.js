// The idle sign-out warning for staff. The page says how many seconds the session has left
// (data-session-seconds-left) and how long before the end to warn (data-session-warn-before).
// Before warning, the server is asked again (GET, which does not restart the idle clock), since
// another tab may have kept the session; "Stay signed in" POSTs, which restarts it.
(function () {
  var body = document.body;
  var url = body.getAttribute("data-session-url");
  if (!url) return;
  var warnBefore = parseInt(body.getAttribute("data-session-warn-before"), 10);
  var deadline = Date.now() + parseInt(body.getAttribute("data-session-seconds-left"), 10) * 1000;
  var warning = document.getElementById("session-warning");
  var ended = document.getElementById("session-ended");
  var countdown = document.getElementById("session-countdown");
  var stay = document.getElementById("session-stay");
  var asking = false;
  var done = false;

  function csrfToken() {
    try {
      return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"] || "";
    } catch (e) {
      return "";
    }
  }
  function secondsLeft() {
    return Math.max(0, Math.round((deadline - Date.now()) / 1000));
  }
  function format(seconds) {
    var minutes = Math.floor(seconds / 60);
    var rest = seconds % 60;
    if (minutes === 0) return rest + " second" + (rest === 1 ? "" : "s");
    return minutes + " min " + (rest < 10 ? "0" : "") + rest + " s";
  }
  function finish() {
    done = true;
    warning.hidden = true;
    ended.hidden = false;
  }
  function ask(method) {
    asking = true;
    var options = { method: method, credentials: "same-origin", headers: {} };
    if (method === "POST") options.headers["X-CSRFToken"] = csrfToken();
    return fetch(url, options)
      .then(function (response) { return response.json(); })
      .then(function (answer) {
        if (!answer.signed_in) finish();
        else deadline = Date.now() + answer.seconds_left * 1000;
      })
      .catch(function () { /* offline: keep counting on the last answer */ })
      .then(function () { asking = false; });
  }
  function show() {
    countdown.textContent = format(secondsLeft());
    warning.hidden = false;
    var active = document.activeElement;
    // Take the focus to the button, unless the person is typing in a form field.
    if (!active || active === body || active.tagName === "A" || active.tagName === "BUTTON") {
      stay.focus();
    }
  }
  function tick() {
    if (done || asking) return;
    var left = secondsLeft();
    if (left <= 0) {
      ask("GET"); // the server says when it has ended (finish); until then, ask again
    } else if (left <= warnBefore) {
      if (warning.hidden) {
        ask("GET").then(function () { if (!done && secondsLeft() <= warnBefore) show(); });
      } else {
        countdown.textContent = format(left);
      }
    } else if (!warning.hidden) {
      warning.hidden = true;
    }
  }
  stay.addEventListener("click", function () {
    ask("POST").then(function () { if (!done) warning.hidden = true; });
  });
  window.setInterval(tick, 1000);
})();
