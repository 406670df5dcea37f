// Moments the server writes in UTC (<time data-local datetime="…">: a hold's end, when an
// order was paid or refunded) shown on the shopper's own clock, in the page's language,
// with the zone named. Without JavaScript the labelled UTC text stays. Showtimes are not
// touched: they are always in their cinema's zone.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "en";
  document.querySelectorAll("time[data-local]").forEach(function (el) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when.getTime())) return;
    var options = {
      weekday: "short", month: "short", day: "numeric",
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZoneName: "short"
    };
    if (el.getAttribute("data-local") === "year") options.year = "numeric";
    try {
      var local = new Intl.DateTimeFormat(lang, options).format(when);
    } catch (e) {
      return; // a language the browser cannot write: the UTC text stays
    }
    el.title = el.textContent;
    el.textContent = local;
  });
})();
