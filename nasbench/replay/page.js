"use strict";
window.addEventListener("error", function (e) { document.getElementById("errors").textContent += "error: " + e.message + "\n"; });
(function () {
  var D = JSON.parse(document.getElementById("data").textContent);
  function bytes(text) { var s = atob(text), a = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) a[i] = s.charCodeAt(i); return a; }
  var xs = new Uint16Array(bytes(D.x).buffer), ys = new Uint16Array(bytes(D.y).buffer), shade = bytes(D.shade);
  var steps = D.steps, n = steps.length, current = 0, timer = null;
  var MARKS = ["#e6194b", "#f58231", "#911eb4", "#3cb44b", "#4363d8", "#f032e6", "#000000"];
  var map = document.getElementById("map"), ctx = map.getContext("2d"), W = map.width, H = map.height, P = 8;
  function px(row) { return P + xs[row] / 65535 * (W - 2 * P); }
  function py(row) { return H - P - ys[row] / 65535 * (H - 2 * P); }
  var RAMP = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];  // viridis stops
  function colour(s) {
    if (s === 255) return "rgb(200,200,200)";
    var t = s / 254 * 4, i = Math.min(3, Math.floor(t)), f = t - i, a = RAMP[i], b = RAMP[i + 1];
    return "rgb(" + [0, 1, 2].map(function (j) { return Math.round(a[j] + f * (b[j] - a[j])); }).join(",") + ")";
  }
  var background = document.createElement("canvas"); background.width = W; background.height = H;
  var bctx = background.getContext("2d");
  bctx.fillStyle = "#fff"; bctx.fillRect(0, 0, W, H); bctx.globalAlpha = 0.35;
  for (var r = 0; r < xs.length; r++) { bctx.fillStyle = colour(shade[r]); bctx.fillRect(px(r) - 1, py(r) - 1, 2, 2); }
  function dot(row, size, fill, stroke) {
    ctx.beginPath(); ctx.arc(px(row), py(row), size, 0, 2 * Math.PI);
    if (fill) { ctx.fillStyle = fill; ctx.fill(); }
    if (stroke) { ctx.strokeStyle = stroke; ctx.lineWidth = 2; ctx.stroke(); }
  }
  function star(row) {
    var x = px(row), y = py(row); ctx.beginPath();
    for (var k = 0; k < 10; k++) { var a = Math.PI / 5 * k - Math.PI / 2, q = k % 2 ? 4 : 10; ctx.lineTo(x + q * Math.cos(a), y + q * Math.sin(a)); }
    ctx.closePath(); ctx.fillStyle = "#ffd700"; ctx.fill(); ctx.strokeStyle = "#000"; ctx.lineWidth = 1; ctx.stroke();
  }
  function drawMap(k) {
    ctx.drawImage(background, 0, 0);
    for (var i = 0; i <= k; i++) dot(steps[i].row, 3, colour(shade[steps[i].row]), "#333");
    var marks = steps[k].decision.marks || {}, legend = [], m = 0;
    Object.keys(marks).forEach(function (label) {
      var c = MARKS[m++ % MARKS.length];
      marks[label].forEach(function (row) { if (row >= 0 && row < xs.length) dot(row, 6, null, c); });
      legend.push('<span style="background:' + c + '"></span>' + label + " (" + marks[label].length + ")");
    });
    star(steps[k].incumbent);
    legend.push('<span style="background:#ffd700"></span>incumbent');
    document.getElementById("legend").innerHTML = "map of all " + D.n_archs + " architectures, colour: " + D.metric +
      " " + D.range[0].toPrecision(4) + " (dark) .. " + D.range[1].toPrecision(4) + " (light)<br>" + legend.join(" ");
    map.setAttribute("data-drawn", String(k + 1));
  }
  function drawRegret(k) {
    var c = document.getElementById("regret"), g = c.getContext("2d"), w = c.width, h = c.height, L = 50, B = 30;
    var values = steps.map(function (s) { return s.regret; }).filter(function (v) { return v !== null && v > 0; });
    var floor = values.length ? Math.min.apply(null, values) / 2 : 1e-6, top = values.length ? Math.max.apply(null, values) : 1;
    var lo = Math.log10(floor), hi = Math.log10(top) + 1e-9;
    function yOf(v) { var t = (Math.log10(Math.max(v === null ? top : v, floor)) - lo) / (hi - lo || 1); return h - B - t * (h - B - 10); }
    function xOf(i) { return L + (n > 1 ? i / (n - 1) : 0) * (w - L - 10); }
    g.fillStyle = "#fff"; g.fillRect(0, 0, w, h); g.strokeStyle = "#888"; g.strokeRect(L, 10, w - L - 10, h - B - 10);
    g.fillStyle = "#222"; g.font = "11px sans-serif";
    g.fillText(top.toPrecision(3), 2, 16); g.fillText(floor.toPrecision(3), 2, h - B);
    g.fillText("evaluation", w / 2 - 25, h - 8); g.fillText("test regret of the incumbent (log)", L + 4, 24);
    g.beginPath(); g.strokeStyle = "#1f77b4"; g.lineWidth = 2;
    for (var i = 0; i <= k; i++) { if (i) g.lineTo(xOf(i), yOf(steps[i].regret)); else g.moveTo(xOf(i), yOf(steps[i].regret)); }
    g.stroke(); g.beginPath(); g.arc(xOf(k), yOf(steps[k].regret), 3, 0, 2 * Math.PI); g.fill();
  }
  function text(value) { var s = typeof value === "string" ? value : JSON.stringify(value); return s.length > 300 ? s.slice(0, 300) + "..." : s; }
  function escape(s) { return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"); }
  function drawDecision(k) {
    var d = steps[k].decision, parts = [];
    Object.keys(d).forEach(function (key) {
      var value = key === "marks" ? Object.keys(d.marks).map(function (l) { return l + ": " + d.marks[l].length + " rows"; }).join("; ") : d[key];
      parts.push("<dt>" + escape(key) + "</dt><dd>" + escape(text(value)) + "</dd>");
    });
    document.getElementById("decision").innerHTML = parts.join("");
  }
  function show(k) {
    current = Math.max(0, Math.min(n - 1, k));
    var s = steps[current];
    drawMap(current); drawRegret(current); drawDecision(current);
    document.getElementById("slider").value = String(current + 1);
    document.getElementById("counter").textContent = "evaluation " + (current + 1) + " / " + n;
    document.getElementById("status").textContent = "evaluated row " + s.row + " " + s.arch +
      (s.fidelity === null ? "" : " at fidelity " + s.fidelity) + ": " + D.metric + " " + (s.valid === null ? "missing" : s.valid.toPrecision(5)) +
      "; incumbent row " + s.incumbent + ", regret " + (s.regret === null ? "-" : s.regret.toPrecision(4)) +
      "; simulated time " + (s.end === null ? "-" : s.end.toPrecision(6));
    document.body.setAttribute("data-step", String(current + 1));
  }
  function play() {
    if (timer) { clearInterval(timer); timer = null; document.getElementById("play").textContent = "play"; return; }
    document.getElementById("play").textContent = "pause";
    timer = setInterval(function () { if (current >= n - 1) play(); else show(current + 1); }, 150);
  }
  document.getElementById("title").textContent = D.title + " " + D.options;
  var slider = document.getElementById("slider"); slider.max = String(n);
  slider.addEventListener("input", function () { show(Number(slider.value) - 1); });
  document.getElementById("prev").addEventListener("click", function () { show(current - 1); });
  document.getElementById("next").addEventListener("click", function () { show(current + 1); });
  document.getElementById("play").addEventListener("click", play);
  document.addEventListener("keydown", function (e) { if (e.key === "ArrowRight") show(current + 1); if (e.key === "ArrowLeft") show(current - 1); });
  show(0);
  var wanted = /step=(\d+)/.exec(window.location.hash);
  if (wanted) { var target = Number(wanted[1]) - 1; while (current < Math.min(target, n - 1)) document.getElementById("next").click(); }
})();
