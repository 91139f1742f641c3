// lcreport: make the theme's sidebar buttons work on a phone.
// pydata-sphinx-theme 0.17 adds a hidden copy of each sidebar button to its header and binds the
// drawer to the first one it finds (pydata/pydata-sphinx-theme#2451); sphinx-book-theme's visible
// buttons then open nothing. A tap on any other copy is passed on to the bound one.
document.addEventListener("DOMContentLoaded", () => {
  for (const kind of ["primary", "secondary"]) {
    const buttons = Array.from(document.querySelectorAll(`.${kind}-toggle`));
    const bound = buttons[0];
    buttons.slice(1).forEach((button) => {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
      });
    });
  }
});
