// Loaded on pages with widgets, between RequireJS and the ipywidgets embedder (embed-amd.js of
// @jupyter-widgets/html-manager), both served by this site from _static/npm/.
(function () {
  // 1. embed-amd.js derives the address of its own files (the widgets' icon fonts) from the
  //    RequireJS module id "@jupyter-widgets/html-manager/dist/..."; map that id to the copy in
  //    _static/npm/html-manager/, so nothing is looked for anywhere else.
  var here = document.currentScript && document.currentScript.src;
  if (here && typeof window.require !== "undefined") {
    var statics = here.replace(/course\/widgets-offline\.js(\?.*)?$/, "");
    window.require.config({
      paths: { "@jupyter-widgets/html-manager/dist": statics + "npm/html-manager" }
    });
  }

  // 2. The widgets typeset their labels with MathJax 2's MathJax.Hub.Queue(["Typeset", Hub, el]);
  //    the site runs MathJax 3, which has no Hub. Give it one that calls MathJax 3's typesetPromise.
  function queue() {
    var mj = window.MathJax, elements = [];
    for (var i = 0; i < arguments.length; i++) {
      var job = arguments[i];
      if (Array.isArray(job) && job[0] === "Typeset" && job[2]) { elements.push(job[2]); }
    }
    if (mj && mj.startup && mj.startup.promise && mj.typesetPromise && elements.length) {
      mj.startup.promise.then(function () { return mj.typesetPromise(elements); })
        .catch(function (err) { console.warn("MathJax could not typeset a widget label", err); });
    }
  }
  // MathJax 3 (loaded with defer) replaces window.MathJax when it runs, before DOMContentLoaded;
  // the widgets are drawn after it.
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && mj.version && !mj.Hub) { mj.Hub = { Queue: queue }; }
  });
})();
