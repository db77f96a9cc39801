/* clipindex post embed: clicking a chapter seeks the player, and the chapter playing is marked.
   Works with an HTML5 <video> or a YouTube player (through YouTube's IFrame API). Opened with
   ?t=SECONDS (or #t=SECONDS) in its address, the page starts the video there. */
(function (root) {
  "use strict";
  var links = Array.prototype.slice.call(root.querySelectorAll("a[data-start]"));
  var starts = links.map(function (link) { return parseFloat(link.getAttribute("data-start")); });

  function mark(time) {
    var current = -1;
    starts.forEach(function (start, i) { if (time >= start - 0.01) { current = i; } });
    links.forEach(function (link, i) {
      if (i === current) { link.setAttribute("aria-current", "true"); }
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
    var asked = askedStart();
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
