// MathJax 3 for pymdownx.arithmatex (generic mode): $...$ inline, $$...$$ display.
// The MathJax file itself is copied from the django-static-mathjax wheel at build time
// (docs/_hooks/generate.py), so the site needs no network.
window.MathJax = {
  tex: {
    inlineMath: [["\\(", "\\)"]],
    displayMath: [["\\[", "\\]"]],
    processEscapes: true,
    processEnvironments: true,
  },
  options: {
    ignoreHtmlClass: ".*|",
    processHtmlClass: "arithmatex",
  },
};

document$.subscribe(() => {
  MathJax.startup.output.clearCache();
  MathJax.typesetClear();
  MathJax.texReset();
  MathJax.typesetPromise();
});
