/* clipindex post embed: clicking a chapter (in the list or on the bar under the player) seeks
   the player, and the chapter playing is marked from the start.
   Works with an HTML5 <video> or a YouTube player (through YouTube's IFrame API). Opened with
   ?t=SECONDS (or #t=SECONDS) in its address, the page starts the video there. */
(function (root) {
  "use strict";
  var links = Array.prototype.slice.call(root.querySelectorAll("a[data-start]"));
  var starts = links.map(function (link) { return parseFloat(link.getAttribute("data-start")); });

  /* The chapter list and the bar under the player link each chapter: both are marked. */
  function mark(time) {
    var current = null;
    starts.forEach(function (start) {
      if (time >= start - 0.01 && (current === null || start > current)) { current = start; }
    });
    links.forEach(function (link, i) {
      if (starts[i] === current) { link.setAttribute("aria-current", "true"); }
      else { link.removeAttribute("aria-current"); }
    });
  }

  function askedStart() {
    var match = /(?:^|[?&#])t=([0-9]+(?:\.[0-9]+)?)/.exec(
      window.location.search + window.location.hash);
    return match ? parseFloat(match[1]) : null;
  }

  var seek;
  if (root.getAttribute("data-player") === "html5") {
    var video = root.querySelector("video");
    seek = function (time) {
      video.currentTime = time;
      var playing = video.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    };
    video.addEventListener("timeupdate", function () { mark(video.currentTime); });
    video.addEventListener("seeked", function () { mark(video.currentTime); });
    var asked = askedStart();
    mark(asked !== null ? asked : 0);
    if (asked !== null) {
      if (video.readyState >= 1) { video.currentTime = asked; }
      else {
        video.addEventListener("loadedmetadata", function () { video.currentTime = asked; },
                               { once: true });
      }
    }
  } else {
    var player = null;
    var waiting = askedStart();
    mark(waiting !== null ? waiting : 0);
    seek = function (time) {
      if (player && player.seekTo) { player.seekTo(time, true); player.playVideo(); }
      else { waiting = time; }
    };
    var start = function () {
      player = new window.YT.Player(root.querySelector("iframe"), {
        events: {
          onReady: function () {
            if (waiting !== null) { player.seekTo(waiting, true); }
            window.setInterval(function () { mark(player.getCurrentTime()); }, 500);
          }
        }
      });
    };
    if (window.YT && window.YT.loaded && window.YT.Player) { start(); }
    else {
      var before = window.onYouTubeIframeAPIReady;
      window.onYouTubeIframeAPIReady = function () { if (before) { before(); } start(); };
    }
  }

  links.forEach(function (link, i) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      seek(starts[i]);
      mark(starts[i]);
    });
  });
})(document.currentScript.closest(".clipindex-embed"));
