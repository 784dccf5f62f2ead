// Dashboard: this month's fees so far by section (one bar series per contract), and the stored volume per day
// over the last 90 days. The data comes from the canvases' data-chart (computed by a worker, read by the page).
(function () {
  if (typeof Chart === "undefined") return;
  var colours = ["#0d6efd", "#198754", "#fd7e14", "#6f42c1", "#dc3545", "#20c997"];
  var fees = document.getElementById("fees-chart");
  if (fees) {
    var data = JSON.parse(fees.dataset.chart);
    new Chart(fees, {type: "bar", data: {
      labels: data.labels,
      datasets: data.series.map(function (series, i) {
        return {label: series.label, data: series.data.map(Number), backgroundColor: colours[i % colours.length]};
      })}, options: {animation: false, scales: {y: {beginAtZero: true}}}});
  }
  var volume = document.getElementById("volume-chart");
  if (volume) {
    var v = JSON.parse(volume.dataset.chart);
    new Chart(volume, {type: "line", data: {labels: v.labels, datasets: [{label: volume.dataset.label,
      data: v.volumes.map(function (x) { return x === null ? null : Number(x); }), borderColor: "#0d6efd",
      backgroundColor: "rgba(13,110,253,.12)", fill: true, pointRadius: 0, spanGaps: false}]},
      options: {animation: false, scales: {y: {beginAtZero: true}, x: {ticks: {maxTicksLimit: 10}}}}});
  }
})();
