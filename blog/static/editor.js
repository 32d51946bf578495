// The blog editor: Markdown with a live preview, autosave with conflict detection, image
// upload (paste, drop or pick), publish / schedule / unpublish / delete. Talks to /editor/api.
(function () {
  "use strict";
  var form = document.getElementById("editor");
  if (!form) return;
  var doc = JSON.parse(document.getElementById("document").textContent);
  var csrf = form.dataset.csrf || "";
  var $ = function (id) { return document.getElementById(id); };
  var htmlMode = doc.id && doc.markdown === null;
  var saving = false, dirty = false, timer = null, previewTimer = null;
  // A publish/unpublish/schedule asked for while a save is under way: done right after it.
  var pending = null;
  var previewSeq = 0;

  function state(text) { $("save-state").textContent = text; }
  function showError(text) { var e = $("error"); e.textContent = text; e.hidden = !text; }

  function fill() {
    $("title").value = doc.title || "";
    $("markdown").value = htmlMode ? (doc.html || "") : (doc.markdown || "");
    $("slug").value = doc.slug || "";
    $("excerpt").value = doc.excerpt || "";
    $("tags").value = (doc.tags || []).join(", ");
    $("feature_image").value = doc.feature_image || "";
    $("feature_image_alt").value = doc.feature_image_alt || "";
    if ($("author_id") && doc.author_id) $("author_id").value = String(doc.author_id);
    if ($("co_author_ids")) {
      var co = (doc.co_author_ids || []).map(String);
      Array.prototype.forEach.call($("co_author_ids").options, function (o) { o.selected = co.indexOf(o.value) >= 0; });
    }
    document.querySelectorAll("[data-meta]").forEach(function (el) {
      el.value = (doc.meta || {})[el.dataset.meta] || "";
    });
    if (doc.status === "scheduled" && doc.published_at) {
      var d = new Date(doc.published_at);
      $("publish_at").value = new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
    }
    buttons();
    renderPreview();
  }

  function buttons() {
    var live = doc.status === "published";
    $("publish").textContent = live ? "Update" : "Publish";
    $("unpublish").hidden = !(live || doc.status === "scheduled");
    $("delete").hidden = !doc.id;
    var link = $("preview-link");
    link.hidden = !doc.id;
    if (doc.id) link.href = "/editor/posts/" + doc.id + "/preview";
    state(doc.id ? (doc.status === "draft" ? "Draft saved" : doc.status) : "Not saved yet");
  }

  function body(status, publishedAt) {
    var meta = {};
    document.querySelectorAll("[data-meta]").forEach(function (el) { meta[el.dataset.meta] = el.value || null; });
    var out = {
      title: $("title").value,
      slug: $("slug").value,
      excerpt: $("excerpt").value,
      tags: $("tags").value.split(",").map(function (t) { return t.trim(); }).filter(Boolean),
      feature_image: $("feature_image").value || null,
      feature_image_alt: $("feature_image_alt").value || null,
      status: status || doc.status || "draft",
      published_at: publishedAt !== undefined ? publishedAt
        : (doc.status === "published" || doc.status === "scheduled" ? doc.published_at : null),
      meta: meta
    };
    if (htmlMode) out.html = $("markdown").value; else out.markdown = $("markdown").value;
    if ($("author_id") && $("author_id").value) out.author_id = Number($("author_id").value);
    if ($("co_author_ids")) {
      out.co_author_ids = Array.prototype.filter.call($("co_author_ids").options, function (o) { return o.selected; })
        .map(function (o) { return Number(o.value); });
    }
    if (doc.id) out.updated_at = doc.updated_at; else out.kind = doc.kind || "post";
    return out;
  }

  function request(method, url, payload, contentType) {
    var headers = { "X-CSRF-Token": csrf, "Accept": "application/json" };
    if (contentType) headers["Content-Type"] = contentType;
    return fetch(url, { method: method, headers: headers, body: payload, credentials: "same-origin" })
      .then(function (res) {
        if (res.status === 204) return { res: res, data: null };
        return res.json().catch(function () { return {}; }).then(function (data) { return { res: res, data: data }; });
      });
  }

  function save(status, publishedAt) {
    if (!$("title").value.trim()) { state("Add a title to save"); return Promise.resolve(); }
    if (saving) {
      if (status) pending = [status, publishedAt];
      dirty = true;
      return Promise.resolve();
    }
    saving = true; dirty = false; state("Saving…");
    var url = doc.id ? "/editor/api/posts/" + doc.id : "/editor/api/posts";
    return request(doc.id ? "PUT" : "POST", url, JSON.stringify(body(status, publishedAt)), "application/json")
      .then(function (r) {
        if (r.res.status === 409) {
          $("conflict").hidden = false;
          $("conflict").dataset.current = JSON.stringify(r.data.current);
          state("Not saved: changed elsewhere");
          return;
        }
        if (!r.res.ok) {
          showError((r.data && (r.data.detail || r.data.error || r.data.title)) || ("Could not save (" + r.res.status + ")."));
          state("Not saved");
          return;
        }
        showError("");
        var first = !doc.id;
        doc = r.data;
        if (first) history.replaceState(null, "", "/editor/posts/" + doc.id);
        buttons();
      })
      .catch(function () { state("Offline: will retry"); dirty = true; })
      .then(function () {
        saving = false;
        if (pending && $("conflict").hidden) { var p = pending; pending = null; save(p[0], p[1]); }
        else if (dirty) schedule();
      });
  }

  function schedule() {
    dirty = true;
    clearTimeout(timer);
    if (doc.status === "published") {
      // A live post changes only when its writer says so (as in Ghost): no autosave, which
      // would publish half-written edits and send the fediverse an Update at every pause.
      state("Unsaved changes: press Update to publish them");
      return;
    }
    state("Unsaved changes");
    timer = setTimeout(function () { if ($("conflict").hidden) save(); }, 1500);
  }

  function renderPreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      if (htmlMode) {
        $("live-preview").textContent = "(HTML body: use Preview to see it as published)";
        return;
      }
      var seq = ++previewSeq;
      request("POST", "/editor/api/render", JSON.stringify({ markdown: $("markdown").value }), "application/json")
        .then(function (r) { if (r.res.ok && seq === previewSeq) $("live-preview").innerHTML = r.data.html; });
    }, 200);
  }

  function upload(file) {
    if (!file) return Promise.resolve(null);
    state("Uploading " + file.name + "…");
    return request("POST", "/editor/api/images", file, file.type || "application/octet-stream")
      .then(function (r) {
        if (!r.res.ok) { showError((r.data && (r.data.detail || r.data.title)) || "Upload failed."); state("Upload failed"); return null; }
        showError("");
        return r.data.url;
      });
  }

  function insertImage(file) {
    upload(file).then(function (url) {
      if (!url) return;
      var ta = $("markdown");
      var text = "\n![" + file.name.replace(/[\[\]]/g, "") + "](" + url + ")\n";
      var at = ta.selectionStart || ta.value.length;
      ta.value = ta.value.slice(0, at) + text + ta.value.slice(at);
      renderPreview(); schedule();
    });
  }

  form.addEventListener("input", function (e) {
    if (e.target.id === "markdown") renderPreview();
    if (e.target.type !== "file" && e.target.id !== "publish_at") schedule();
  });
  form.addEventListener("submit", function (e) { e.preventDefault(); save(); });
  $("markdown").addEventListener("paste", function (e) {
    var files = (e.clipboardData || {}).files || [];
    if (files.length) { e.preventDefault(); insertImage(files[0]); }
  });
  $("markdown").addEventListener("drop", function (e) {
    var files = (e.dataTransfer || {}).files || [];
    if (files.length) { e.preventDefault(); insertImage(files[0]); }
  });
  $("feature_upload").addEventListener("change", function (e) {
    upload(e.target.files[0]).then(function (url) { if (url) { $("feature_image").value = url; schedule(); } });
  });
  $("publish").addEventListener("click", function () {
    save("published", doc.status === "published" ? doc.published_at : null);
  });
  $("unpublish").addEventListener("click", function () { save("draft", null); });
  $("schedule").addEventListener("click", function () {
    var at = $("publish_at").value;
    if (!at) { showError("Pick a date and time to schedule."); return; }
    save("scheduled", new Date(at).toISOString());
  });
  $("delete").addEventListener("click", function () {
    if (!doc.id || !confirm("Delete “" + doc.title + "”? This cannot be undone.")) return;
    request("DELETE", "/editor/api/posts/" + doc.id).then(function (r) {
      if (r.res.ok) location.href = "/editor"; else showError("Could not delete.");
    });
  });
  $("load-theirs").addEventListener("click", function () {
    clearTimeout(timer);
    dirty = false; pending = null;
    doc = JSON.parse($("conflict").dataset.current);
    htmlMode = doc.markdown === null;
    $("conflict").hidden = true; fill();
  });
  $("keep-mine").addEventListener("click", function () {
    doc.updated_at = JSON.parse($("conflict").dataset.current).updated_at;
    $("conflict").hidden = true; save();
  });
  window.addEventListener("beforeunload", function (e) {
    if (dirty || saving || !$("conflict").hidden) { e.preventDefault(); e.returnValue = ""; }
  });
  fill();
})();
