/* clipindex report: a shot on the timeline and its picture light up together. Clicking the
   timeline, a cut or a shot goes there (seeking the player when there is one); n/p step cut
   by cut, N/P hand-over by hand-over; "Correct here" shows the clipindex correct commands for
   the time shown. */
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("review-data").textContent);
  var svg = document.querySelector("svg.timeline");
  var left = parseFloat(svg.getAttribute("data-left"));
  var right = parseFloat(svg.getAttribute("data-right"));
  var duration = parseFloat(svg.getAttribute("data-duration"));
  var player = document.getElementById("player");
  var playhead = document.getElementById("playhead");
  var now = document.getElementById("now");
  var shown = 0;

  function clock(t) {
    var minutes = Math.floor(t / 60);
    var seconds = (t - 60 * minutes).toFixed(3);
    return minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
  }
  function show(t) {
    shown = Math.max(0, Math.min(duration, t));
    var x = left + (duration > 0 ? shown / duration : 0) * (right - left);
    playhead.setAttribute("x1", x);
    playhead.setAttribute("x2", x);
    now.textContent = clock(shown);
  }
  function go(t) {
    show(t);
    if (player) { player.currentTime = shown; }
  }
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
  svg.addEventListener("click", function (event) {
    var marked = event.target.closest("[data-time]");
    if (marked) {
      go(parseFloat(marked.getAttribute("data-time")));
      var shot = marked.getAttribute("data-shot");
      var card = shot !== null && document.getElementById("shot-" + shot);
      if (card && !player) { card.scrollIntoView({ behavior: "smooth", block: "center" }); }
      return;
    }
    var point = svg.createSVGPoint();
    point.x = event.clientX;
    point.y = event.clientY;
    var x = point.matrixTransform(svg.getScreenCTM().inverse()).x;
    if (x >= left && x <= right) { go((x - left) / (right - left) * duration); }
  });
  document.querySelectorAll("figure.shot").forEach(function (card) {
    card.addEventListener("click", function () {
      go(parseFloat(card.getAttribute("data-time")));
      if (player) { player.scrollIntoView({ behavior: "smooth", block: "center" }); }
    });
  });
  function step(times, forward) {
    var here = shown, found = null;
    times.forEach(function (t) {
      if (forward && t > here + 1e-3 && (found === null || t < found)) { found = t; }
      if (!forward && t < here - 1e-3 && (found === null || t > found)) { found = t; }
    });
    if (found !== null) { go(found); }
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var keys = { n: [data.cuts_s, true], p: [data.cuts_s, false],
                 N: [data.handovers_s, true], P: [data.handovers_s, false] };
    if (keys[event.key]) {
      event.preventDefault();
      step(keys[event.key][0], keys[event.key][1]);
    } else if (event.key === " " && player) {
      event.preventDefault();
      if (player.paused) { player.play(); } else { player.pause(); }
    }
  });
  if (player) {
    var follow = function () { show(player.currentTime); };
    player.addEventListener("timeupdate", follow);
    player.addEventListener("seeked", follow);
  }
  function nearest(times) {
    var best = null;
    times.forEach(function (t, n) {
      if (best === null || Math.abs(t - shown) < Math.abs(times[best] - shown)) { best = n; }
    });
    return best;
  }
  document.getElementById("correct-here").addEventListener("click", function () {
    var t = shown.toFixed(3);
    var command = "clipindex correct " + data.video;
    var lines = [command + " --add-cut " + t + "    # a cut here"];
    var cut = nearest(data.cuts_s);
    if (cut !== null) {
      lines.push(command + " --remove-cut " + data.cuts_s[cut].toFixed(3) +
                 "    # the nearest cut, at " + clock(data.cuts_s[cut]));
    }
    var handover = nearest(data.handovers_s);
    if (handover !== null) {
      lines.push(command + " --handover " + (handover + 1) + "=" + t +
                 "    # hand-over " + (handover + 1) + ", now at " +
                 clock(data.handovers_s[handover]) + ", moved here");
    }
    var box = document.getElementById("correction");
    box.textContent = lines.join("\n");
    box.hidden = false;
  });
  show(0);
})();
