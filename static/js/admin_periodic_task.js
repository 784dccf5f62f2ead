// django-celery-beat's periodic task form: show the chosen crontab in words next to its help text
// (moved out of the template: the Content-Security-Policy refuses inline scripts).
(function ($) {
  var script = document.getElementById("periodic-task-overrides");
  var source = document.getElementById("readable-crontabs");
  if (!$ || !script || !source) return;
  var readable = JSON.parse(source.textContent), help = script.getAttribute("data-crontab-help") || "";
  $(".field-crontab_translation").hide();
  $(".field-crontab").change(function () {
    var text = readable[$("#id_crontab").val()];
    var target = $(".field-crontab .help");
    target.text(help);
    if (text) target.append($("<br>"), document.createTextNode("Translation: " + text));
  });
})(window.django && window.django.jQuery);
