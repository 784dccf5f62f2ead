// Quote page: show the inputs of the chosen mode and draw the fee-by-weight chart (Chart.js).
(function () {
  function toggleModes() {
    var mode = document.querySelector('input[name="mode"]:checked');
    var storage = mode && mode.value === "storage";
    var parcel = document.getElementById("parcel-fields"), stock = document.getElementById("storage-fields");
    if (parcel) parcel.hidden = storage;
    if (stock) stock.hidden = !storage;
  }
  var chart;
  function drawChart() {
    var canvas = document.getElementById("fee-chart");
    if (!canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(canvas.dataset.chart);
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      type: "line",
      data: { labels: data.labels, datasets: [{ label: canvas.dataset.label + " (" + data.currency + ")", data: data.values.map(function (v) { return v === null ? null : Number(v); }), stepped: true, borderColor: "#0d6efd", pointRadius: 0, spanGaps: false }] },
      options: { animation: false, plugins: { legend: { display: false } }, scales: { x: { title: { display: true, text: canvas.dataset.x }, ticks: { maxTicksLimit: 12 } }, y: { beginAtZero: true } } }
    });
  }
  document.addEventListener("change", function (e) { if (e.target.name === "mode") toggleModes(); });
  document.addEventListener("DOMContentLoaded", function () { toggleModes(); drawChart(); });
  document.body.addEventListener("htmx:afterSwap", drawChart);
})();
