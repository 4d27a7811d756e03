// The report's filters: show the monitors (and charts) of one source, monitor, severity or segment. No request.
(function () {
  "use strict";
  var rank = { no_data: 0, ok: 0, warn: 1, error: 2 };
  var ids = ["filter-source", "filter-monitor", "filter-severity", "filter-segment"];
  var filters = ids.map(function (id) { return document.getElementById(id); });
  function apply() {
    var source = filters[0].value, monitor = filters[1].value, severity = filters[2].value, segment = filters[3].value;
    var needed = severity ? rank[severity] : 0;
    var shown = 0, sections = document.querySelectorAll("section.monitor");
    sections.forEach(function (section) {
      var d = section.dataset;
      var visible = (!source || d.source === source) && (!monitor || d.monitor === monitor) &&
        (rank[d.status] || 0) >= needed;
      var anyChart = false;
      section.querySelectorAll("figure.chart").forEach(function (figure) {
        var own = figure.dataset.segment || "";
        var match = !segment || (segment === "__overall__" ? own === "" : own === segment);
        figure.hidden = !match;
        anyChart = anyChart || match;
      });
      if (segment && !anyChart) { visible = false; }
      section.hidden = !visible;
      if (visible) { shown += 1; }
    });
    document.querySelectorAll("tr.overview-row").forEach(function (row) {
      var section = document.getElementById("monitor-" + row.dataset.monitor);
      row.hidden = section ? section.hidden : false;
    });
    document.querySelectorAll("tr.schema-row").forEach(function (row) {
      row.hidden = Boolean(source) && row.dataset.source !== source;
    });
    document.getElementById("filter-count").textContent =
      shown + " of " + sections.length + " monitor" + (sections.length === 1 ? "" : "s") + " shown";
  }
  filters.forEach(function (select) { select.addEventListener("change", apply); });
  document.getElementById("filter-reset").addEventListener("click", function () {
    filters.forEach(function (select) { select.value = ""; });
    apply();
  });
  apply();
})();
