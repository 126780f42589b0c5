// Forms that survive a sign-out.
// 1. A staff form sent after idle sign-out: the server kept its fields and, after signing in,
//    puts them on the page (#restored-form); they are filled back into the form they came from.
// 2. Browser drafts (form[data-local-draft], the patient's diary): every change is saved in
//    localStorage under the form's key, filled in again when the page opens, and removed when
//    the server says it saved them (body[data-clear-draft]). The draft keeps the form's
//    client_key, so sending it again after a lost answer stores one entry, not two.
(function () {
  function fieldsOf(form) {
    var fields = {};
    new FormData(form).forEach(function (value, name) {
      if (name === "csrfmiddlewaretoken") return;
      (fields[name] = fields[name] || []).push(String(value));
    });
    return fields;
  }
  function fill(form, fields) {
    Object.keys(fields).forEach(function (name) {
      var values = fields[name];
      form.querySelectorAll('[name="' + CSS.escape(name) + '"]').forEach(function (el) {
        if (el.name === "csrfmiddlewaretoken" || el.type === "file") return;
        if (el.type === "checkbox" || el.type === "radio") {
          el.checked = values.indexOf(el.value) !== -1;
        } else if (el.tagName === "SELECT" && el.multiple) {
          Array.prototype.forEach.call(el.options, function (option) {
            option.selected = values.indexOf(option.value) !== -1;
          });
        } else {
          el.value = values.length ? values[0] : "";
        }
      });
    });
  }

  var kept = document.getElementById("restored-form");
  if (kept) {
    var restored = JSON.parse(kept.textContent);
    var forms = Array.prototype.slice.call(document.querySelectorAll('form[method="post"]'));
    var target = forms.filter(function (form) {
      return new URL(form.action, window.location.href).pathname === restored.action;
    })[0] || forms.filter(function (form) {
      return Object.keys(restored.fields).some(function (name) {
        return form.querySelector('[name="' + CSS.escape(name) + '"]');
      });
    })[0];
    if (target) fill(target, restored.fields);
  }

  var store;
  try {
    store = window.localStorage;
  } catch (e) {
    return; // storage switched off: no drafts
  }
  var clear = document.body.getAttribute("data-clear-draft");
  if (clear) store.removeItem(clear);
  document.querySelectorAll("form[data-local-draft]").forEach(function (form) {
    var key = form.getAttribute("data-local-draft");
    var notice = document.getElementById("draft-notice");
    var saved = null;
    try {
      saved = JSON.parse(store.getItem(key));
    } catch (e) {
      saved = null;
    }
    // A form the server sent back with errors already holds what was sent.
    if (saved && saved.fields && !form.querySelector(".errorlist")) {
      fill(form, saved.fields);
      if (notice) notice.hidden = false;
    }
    function save() {
      try {
        store.setItem(key, JSON.stringify({ fields: fieldsOf(form), saved_at: Date.now() }));
      } catch (e) { /* storage full: the form still works */ }
    }
    form.addEventListener("input", save);
    form.addEventListener("change", save);
    var discard = document.getElementById("draft-discard");
    if (discard) {
      discard.addEventListener("click", function () {
        store.removeItem(key);
        window.location.reload();
      });
    }
  });
})();
