// A sending broadcast's counts, refreshed every 2 seconds from /progress; the page reloads when
// its status changes (so the buttons match). Without JavaScript, reload the page.
(function () {
  var box = document.getElementById("progress");
  if (!box || box.dataset.live !== "yes" || !window.fetch) { return; }
  var status = document.getElementById("status").dataset.status;
  function tick() {
    fetch(box.dataset.url, { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        box.querySelectorAll("[data-count]").forEach(function (cell) {
          cell.textContent = data[cell.dataset.count];
        });
        if (data.status !== status) { window.location.reload(); return; }
        setTimeout(tick, 2000);
      })
      .catch(function () { setTimeout(tick, 5000); });
  }
  setTimeout(tick, 2000);
})();
