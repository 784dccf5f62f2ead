// Inbound order form: fill a carton row's units and carton size from the SKU's own carton data when the
// SKU is picked (the SKUs' data comes from the page's json_script block "sku-defaults").
(function () {
  var source = document.getElementById("sku-defaults"), rows = document.getElementById("carton-rows");
  if (!source || !rows) return;
  var defaults = JSON.parse(source.textContent);
  rows.addEventListener("change", function (e) {
    if (!e.target.name || !e.target.name.endsWith("-sku")) return;
    var d = defaults[e.target.value], prefix = e.target.name.slice(0, -3);
    if (!d) return;
    ["units_per_carton", "length_mm", "width_mm", "height_mm"].forEach(function (k) {
      var input = document.querySelector('[name="' + prefix + k + '"]');
      if (input && !input.value && d[k]) input.value = d[k];
    });
    var count = document.querySelector('[name="' + prefix + 'cartons"]');
    if (count && !count.value) count.value = 1;
  });
})();
