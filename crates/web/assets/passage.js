// The passage form: add and remove passenger rows, flag a fever as the temperature is typed.
(function () {
  "use strict";
  var form = document.getElementById("passage-form");
  if (!form) return;
  var list = document.getElementById("travellers");
  var add = document.getElementById("add-traveller");
  var FEVER = 37.3;

  function flag(row) {
    var input = row.querySelector("input.temperature");
    var badge = row.querySelector(".fever-flag");
    var t = parseFloat((input.value || "").replace(",", "."));
    var fever = !isNaN(t) && t >= FEVER;
    row.classList.toggle("has-fever", fever);
    badge.textContent = fever ? "发热" : "";
  }

  // Rows are numbered in order; each row's outcome buttons are named after its number.
  function renumber() {
    var rows = list.querySelectorAll("fieldset.traveller");
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      row.setAttribute("data-row", i);
      var legend = row.querySelector("legend");
      legend.firstChild.nodeValue = i === 0 ? "驾驶员 / 第 1 人 " : "乘客 第 " + (i + 1) + " 人 ";
      var radios = row.querySelectorAll("input[type=radio]");
      for (var j = 0; j < radios.length; j++) radios[j].name = "outcome_" + i;
    }
  }

  function withRemove(row) {
    if (row.querySelector(".remove") || row === list.firstElementChild) return;
    var b = document.createElement("button");
    b.type = "button";
    b.className = "remove";
    b.setAttribute("aria-label", "删除此人");
    b.textContent = "✕";
    b.addEventListener("click", function () {
      row.parentNode.removeChild(row);
      renumber();
    });
    row.querySelector("legend").appendChild(b);
  }

  list.addEventListener("input", function (e) {
    if (e.target.classList.contains("temperature")) {
      flag(e.target.closest("fieldset.traveller"));
    }
  });

  add.hidden = false;
  add.addEventListener("click", function () {
    var rows = list.querySelectorAll("fieldset.traveller");
    var row = rows[rows.length - 1].cloneNode(true);
    var inputs = row.querySelectorAll("input");
    for (var i = 0; i < inputs.length; i++) {
      var input = inputs[i];
      if (input.type === "radio") {
        input.checked = input.value === "through";
      } else {
        input.value = "";
        input.removeAttribute("required");
      }
    }
    var old = row.querySelector(".remove");
    if (old) old.parentNode.removeChild(old);
    list.appendChild(row);
    renumber();
    withRemove(row);
    flag(row);
    row.querySelector("input[name=name]").focus();
  });

  var rows = list.querySelectorAll("fieldset.traveller");
  for (var i = 0; i < rows.length; i++) {
    withRemove(rows[i]);
    flag(rows[i]);
  }

  // One submission per filling-in: a second tap waits for the first.
  // (The outbox, when it takes the form, sends it itself and says so.)
  form.addEventListener("submit", function (e) {
    if (e.defaultPrevented) return;
    var b = form.querySelector("button[type=submit]");
    setTimeout(function () { b.disabled = true; b.textContent = "提交中……"; }, 0);
  });

  var plate = form.querySelector("input[name=plate]");
  plate.addEventListener("blur", function () { plate.value = plate.value.toUpperCase(); });
})();
