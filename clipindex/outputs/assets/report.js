/* clipindex report: a shot on the timeline and its picture light up together; clicking a shot
   on the timeline shows its picture. */
(function () {
  "use strict";
  function light(shot, on) {
    document.querySelectorAll('[data-shot="' + shot + '"]').forEach(function (element) {
      element.classList.toggle("active", on);
    });
  }
  document.querySelectorAll("[data-shot]").forEach(function (element) {
    var shot = element.getAttribute("data-shot");
    element.addEventListener("mouseenter", function () { light(shot, true); });
    element.addEventListener("mouseleave", function () { light(shot, false); });
  });
  document.querySelectorAll("rect[data-shot]").forEach(function (bar) {
    bar.addEventListener("click", function () {
      var card = document.getElementById("shot-" + bar.getAttribute("data-shot"));
      if (card) { card.scrollIntoView({ behavior: "smooth", block: "center" }); }
    });
  });
})();
