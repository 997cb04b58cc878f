// The live SMS segment count and cost under the compose form's text boxes: the server counts
// (the SMS channel's own rule), this only posts the texts as one types and shows the answer.
// Without JavaScript the "Preview cost" button does the same with a whole-page post.
(function () {
  var form = document.getElementById("compose");
  if (!form || !window.fetch) { return; }
  var timer = null;
  function show(id, data) {
    var box = document.getElementById(id);
    box.querySelector(".segments").textContent = data.segments;
    box.querySelector(".chars").textContent = data.characters;
    box.querySelector(".cost").textContent = data.cost;
    box.querySelector(".pays").textContent = data.agency_pays;
  }
  function refresh() {
    var body = new URLSearchParams();
    ["csrf_token", "text_ar", "text_en", "category", "agency"].forEach(function (name) {
      var field = form.elements[name];
      if (field) { body.append(name, field.value); }
    });
    fetch(form.dataset.segmentsUrl, { method: "POST", body: body, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { show("count-ar", data.ar); show("count-en", data.en); } })
      .catch(function () {});
  }
  form.addEventListener("input", function (event) {
    if (["text_ar", "text_en"].indexOf(event.target.name) < 0) { return; }
    clearTimeout(timer);
    timer = setTimeout(refresh, 250);
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "category" || event.target.name === "agency") { refresh(); }
  });
})();
