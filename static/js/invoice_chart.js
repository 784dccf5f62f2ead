// Invoice detail: this month's sections beside the six months before on the same service line (stacked bars).
(function () {
  var canvas = document.getElementById("invoice-chart");
  if (!canvas || typeof Chart === "undefined") return;
  var data = JSON.parse(canvas.dataset.chart);
  var colours = ["#0d6efd", "#20c997", "#fd7e14", "#6f42c1", "#dc3545"];
  new Chart(canvas, {
    type: "bar",
    data: {labels: data.labels, datasets: data.datasets.map(function (set, i) {
      return {label: set.label, data: set.data.map(Number), backgroundColor: colours[i % colours.length]};
    })},
    options: {animation: false, responsive: true, plugins: {legend: {position: "bottom", labels: {boxWidth: 12}}},
      scales: {x: {stacked: true}, y: {stacked: true, beginAtZero: true}}}
  });
  canvas.dataset.drawn = "1";
})();
