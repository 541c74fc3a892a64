// After the language switcher swaps #page: keep <html lang> right and focus where the user was.
document.addEventListener("htmx:afterSettle", (event) => {
  const page = document.getElementById("page");
  if (!page || event.detail.target !== page) return;
  document.documentElement.lang = page.dataset.lang;
  const current = page.querySelector('.languages a[aria-current="true"]');
  if (current) current.focus();
});
