// After the language switcher swaps #page: keep <html lang> right and focus where the user was.
document.addEventListener("htmx:afterSettle", (event) => {
  // The target is the #page that was swapped out; the new one is in the document now.
  if (event.detail.target.id !== "page") return;
  const page = document.getElementById("page");
  if (!page) return;
  document.documentElement.lang = page.dataset.lang;
  const current = page.querySelector('.languages a[aria-current="true"]');
  if (current) current.focus();
});
