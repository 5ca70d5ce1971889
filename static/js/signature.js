/* Wuyou visit page: the customer's signature drawn on a <canvas> (pointer events → PNG data URL in a hidden
   field), and "add a row" for parts used. Without JavaScript the page still works: one part row, no drawing
   (the engineer then notes why there is no signature). */
(function () {
  "use strict";

  var MAX_SCALE = 2; // sharper lines on dense screens, but the PNG stays well under the server's limit

  function setUpPad(pad) {
    var canvas = pad.querySelector("[data-signature-canvas]");
    var field = pad.querySelector("[data-signature-value]");
    var form = pad.closest("form");
    var clear = form && form.querySelector("[data-signature-clear]");
    var declined = form && form.querySelector("[data-signature-declined]");
    if (!canvas || !field) { return; }
    var ctx = canvas.getContext("2d");
    var drawing = false;
    var drawn = false;
    var last = null;

    // The canvas takes the width CSS gives it; its pixels follow, so strokes land under the finger.
    function fit() {
      var box = canvas.getBoundingClientRect();
      if (!box.width) { return; }
      var scale = Math.min(window.devicePixelRatio || 1, MAX_SCALE);
      var keep = drawn ? canvas.toDataURL("image/png") : null;
      canvas.width = Math.round(box.width * scale);
      canvas.height = Math.round(box.height * scale);
      ctx.setTransform(scale, 0, 0, scale, 0, 0);
      ctx.lineWidth = 2.5;
      ctx.lineCap = "round";
      ctx.lineJoin = "round";
      ctx.strokeStyle = "#10243b";
      if (keep) { restore(keep); }
    }

    function restore(url) {
      var img = new Image();
      img.onload = function () {
        var box = canvas.getBoundingClientRect();
        ctx.drawImage(img, 0, 0, box.width, box.height);
      };
      img.src = url;
      drawn = true;
      pad.classList.add("has-ink");
    }

    function point(evt) {
      var box = canvas.getBoundingClientRect();
      return { x: evt.clientX - box.left, y: evt.clientY - box.top };
    }

    function save() {
      field.value = drawn ? canvas.toDataURL("image/png") : "";
    }

    function wipe() {
      var box = canvas.getBoundingClientRect();
      ctx.clearRect(0, 0, box.width, box.height);
      drawn = false;
      field.value = "";
      pad.classList.remove("has-ink");
    }

    canvas.addEventListener("pointerdown", function (evt) {
      if (declined && declined.checked) { return; }
      evt.preventDefault();
      if (canvas.setPointerCapture) { canvas.setPointerCapture(evt.pointerId); }
      drawing = true;
      last = point(evt);
      // A tap leaves a dot.
      ctx.beginPath();
      ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, Math.PI * 2);
      ctx.fillStyle = ctx.strokeStyle;
      ctx.fill();
      drawn = true;
      pad.classList.add("has-ink");
    });
    canvas.addEventListener("pointermove", function (evt) {
      if (!drawing) { return; }
      evt.preventDefault();
      var p = point(evt);
      ctx.beginPath();
      ctx.moveTo(last.x, last.y);
      ctx.lineTo(p.x, p.y);
      ctx.stroke();
      last = p;
    });
    function stop() {
      if (!drawing) { return; }
      drawing = false;
      save();
    }
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    canvas.addEventListener("pointerleave", stop);

    if (clear) { clear.addEventListener("click", wipe); }
    if (declined) {
      var sync = function () {
        pad.classList.toggle("is-declined", declined.checked);
        if (declined.checked) { wipe(); }
      };
      declined.addEventListener("change", sync);
      pad.classList.toggle("is-declined", declined.checked);
    }
    // A pad inside a folded section has no size until it is unfolded.
    var section = pad.closest("details");
    if (section) { section.addEventListener("toggle", function () { if (section.open) { fit(); } }); }

    fit();
    // A signature sent back with another field's error is drawn again rather than lost.
    if (field.value.indexOf("data:image/png;base64,") === 0) { restore(field.value); }
    window.addEventListener("resize", function () { if (!drawing) { fit(); } });
  }

  function setUpParts(form) {
    var rows = form.querySelector("[data-part-rows]");
    var add = form.querySelector("[data-add-part]");
    if (!rows || !add) { return; }
    add.hidden = false;
    add.addEventListener("click", function () {
      var all = rows.querySelectorAll("[data-part-row]");
      var copy = all[all.length - 1].cloneNode(true);
      copy.querySelectorAll("input").forEach(function (input) {
        input.value = input.name === "part_quantity" ? "1" : "";
        input.removeAttribute("aria-invalid");
        input.removeAttribute("autofocus");
      });
      copy.querySelectorAll("select").forEach(function (select) {
        select.value = "";
        select.removeAttribute("aria-invalid");
        select.removeAttribute("autofocus");
      });
      copy.querySelectorAll(".error").forEach(function (el) { el.remove(); });
      copy.querySelectorAll(".has-error").forEach(function (el) { el.classList.remove("has-error"); });
      var number = copy.querySelector("[data-part-number]");
      if (number) { number.textContent = String(all.length + 1); }
      rows.appendChild(copy);
      var first = copy.querySelector("select, input");
      if (first) { first.focus(); }
    });
  }

  document.querySelectorAll("[data-signature-pad]").forEach(setUpPad);
  document.querySelectorAll("form[data-step=parts_used], form[data-quote-parts]").forEach(setUpParts);
  // A form sent back with errors is brought into view (a field with autofocus already is); after a save the
  // page lands on the next step.
  var target = document.querySelector(".step-card.has-error, .exception-card.has-error");
  if (!target && window.location.hash === "#next") { target = document.getElementById("next"); }
  if (target && target.scrollIntoView && !document.querySelector("[autofocus]")) {
    target.scrollIntoView({ block: "start" });
  }
})();
