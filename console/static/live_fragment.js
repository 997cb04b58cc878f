// A training run's box, refreshed every 2 seconds from its fragment URL (HTMX-style: the server
// renders the HTML, this swaps it in); when the run is over the page reloads once, so the list
// shows the new model and the Train button is enabled again. Without JavaScript, reload the page.
(function () {
  var box = document.getElementById("training-box");
  if (!box || box.dataset.live !== "yes" || !window.fetch) { return; }
  function tick() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null) { setTimeout(tick, 5000); return; }
        box.innerHTML = html;
        var run = document.getElementById("training-run");
        var status = run ? run.dataset.status : "";
        if (status === "queued" || status === "running") { setTimeout(tick, 2000); return; }
        window.location.reload();
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 2000);
})();
