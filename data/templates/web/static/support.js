// The FAQ's answers nearest to the subject, shown under it as the person types.
// The form works without this script: the first submit then shows them on the page.
(function () {
  "use strict";
  var form = document.getElementById("formulaire-support");
  var subject = document.getElementById("subject");
  var box = document.getElementById("suggestions-faq");
  if (!form || !subject || !box || !window.fetch) {
    return;
  }
  var checked = form.querySelector("input[name=faq_checked]");
  var url = form.getAttribute("data-faq-url");
  var timer = null;
  var asked = null;

  function element(tag, text, className) {
    var node = document.createElement(tag);
    node.textContent = text; // text, never HTML: answers and subjects are shown as typed
    if (className) {
      node.className = className;
    }
    return node;
  }

  function show(found, query) {
    if (subject.value.trim() !== query) {
      return; // the person typed on meanwhile; the next answer will come
    }
    checked.value = query;
    while (box.firstChild) {
      box.removeChild(box.firstChild);
    }
    if (!found.length) {
      return;
    }
    box.appendChild(element("h2", box.getAttribute("data-title")));
    found.forEach(function (item) {
      var details = document.createElement("details");
      details.appendChild(element("summary", item.question));
      var answer = element("div", "", "faq-answer");
      // Escaped by the server, then marked up (lists, bold, links) as on the FAQ page.
      answer.innerHTML = item.answer_html;
      details.appendChild(answer);
      box.appendChild(details);
    });
    box.appendChild(element("p", box.getAttribute("data-then")));
  }

  function lookUp() {
    var query = subject.value.trim();
    if (query === asked) {
      return;
    }
    asked = query;
    fetch(url + "?objet=" + encodeURIComponent(query), {
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    })
      .then(function (answer) {
        return answer.ok ? answer.json() : { suggestions: [] };
      })
      .then(function (data) {
        show(data.suggestions || [], query);
      })
      .catch(function () {
        asked = null; // try again with the next key pressed
      });
  }

  subject.addEventListener("input", function () {
    window.clearTimeout(timer);
    timer = window.setTimeout(lookUp, 350);
  });
  if (subject.value.trim() && !box.firstElementChild) {
    lookUp();
  }
})();
