// Stock ledger rows: the month's stored volume (line) and units in stock (bars), from the canvas's data-chart.
// The month's panel may arrive later (htmx loads it after the rows): draw it when it does.
function drawStockChart() {
  var canvas = document.getElementById("stock-chart");
  if (!canvas || canvas.dataset.drawn || typeof Chart === "undefined") return;
  canvas.dataset.drawn = "1";
  var data = JSON.parse(canvas.dataset.chart);
  new Chart(canvas, {type: "bar", data: {labels: data.labels, datasets: [
    {type: "line", label: canvas.dataset.volume, data: data.volume.map(Number), borderColor: "#0d6efd", yAxisID: "y", pointRadius: 2},
    {type: "bar", label: canvas.dataset.units, data: data.units, backgroundColor: "rgba(25,135,84,.35)", yAxisID: "y1"}]},
    options: {animation: false, scales: {y: {position: "left", beginAtZero: true, title: {display: true, text: "m³"}},
      y1: {position: "right", beginAtZero: true, grid: {drawOnChartArea: false}}}}});
}
drawStockChart();
document.addEventListener("htmx:afterSwap", drawStockChart);
