// What the language switcher needs beyond htmx: the choices made on the page, then <html lang>
// and focus after the swap.

// GET forms marked data-page-state hold choices that are part of the page (plan, quantity,
// code). A language link carries the page's query as it was rendered; the values changed since
// in those forms replace the link's, so the page comes back in the new language as it is now.
function changedNames(form) {
  const names = new Set();
  for (const field of form.elements) {
    if (!field.name || field.disabled) continue;
    let changed;
    if (field.type === "radio" || field.type === "checkbox") {
      changed = field.checked !== field.defaultChecked;
    } else if (field.tagName === "SELECT") {
      changed = [...field.options].some((option) => option.selected !== option.defaultSelected);
    } else {
      changed = field.value !== field.defaultValue;
    }
    if (changed) names.add(field.name);
  }
  return names;
}

document.addEventListener("htmx:configRequest", (event) => {
  if (!event.detail.elt.closest(".languages")) return;
  const [base, search = ""] = event.detail.path.split("?");
  const query = new URLSearchParams(search);
  for (const form of document.querySelectorAll("form[data-page-state]")) {
    const names = changedNames(form);
    const values = new FormData(form);
    for (const name of names) {
      query.delete(name);
      for (const value of values.getAll(name)) {
        if (typeof value === "string") query.append(name, value);
      }
    }
  }
  // Still a query-only reference: it cannot leave this page's address.
  event.detail.path = `${base}?${query}`;
});

// After the swap of #page: keep <html lang> right and focus where the user was.
document.addEventListener("htmx:afterSettle", (event) => {
  // The target is the #page that was swapped out; the new one is in the document now.
  if (event.detail.target.id !== "page") return;
  const page = document.getElementById("page");
  if (!page) return;
  document.documentElement.lang = page.dataset.lang;
  const current = page.querySelector('.languages a[aria-current="true"]');
  if (current) current.focus();
});
