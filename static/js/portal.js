// What the language switcher needs beyond htmx: the choices made on the page, then <html lang>
// and focus after the swap.

// GET forms marked data-page-state hold choices that are part of the page (plan, quantity,
// code). A language link carries the page's query as it was rendered; the values changed since
// in those forms replace the link's, so the page comes back in the new language as it is now.
function changedNames(form) {
  const names = new Set();
  for (const field of form.elements) {
    // Buttons are not values of the form (FormData leaves them out) but actions on it.
    if (!field.name || field.disabled || field.tagName === "BUTTON") continue;
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

// The plan picker: typing a quantity chooses that product, and until the new preview
// arrives the old one cannot be confirmed (its figures no longer match the form).
document.addEventListener("input", (event) => {
  const field = event.target;
  if (!(field instanceof HTMLElement) || !field.closest("#plan-form")) return;
  const product = field.closest(".quantity-field")?.dataset.product;
  const checked = document.querySelector('#plan-form input[name="price"]:checked');
  if (product && checked?.dataset.product !== product) {
    const radio = document.querySelector(
      `#plan-form input[name="price"][data-product="${CSS.escape(product)}"]`);
    if (radio) radio.checked = true;
  }
  markPreviewStale();
});
document.addEventListener("change", (event) => {
  if (event.target instanceof HTMLElement && event.target.closest("#plan-form")) {
    markPreviewStale();
  }
});

function markPreviewStale() {
  const preview = document.getElementById("preview");
  if (!preview) return;
  preview.setAttribute("aria-busy", "true");
  for (const button of preview.querySelectorAll("form button")) button.disabled = true;
}

// Cancelling: each step htmx swaps in moves focus to its heading, which announces it.
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target.id !== "cancel-flow") return;
  document.querySelector("#cancel-flow h2")?.focus();
});

// Billing details: when htmx brings the form back with problems, focus goes to the first one.
document.addEventListener("htmx:afterSettle", (event) => {
  if (event.detail.target.id !== "details-form") return;
  const form = document.getElementById("details-form");
  (form?.querySelector('[aria-invalid="true"]') ?? form?.querySelector("#form-error"))?.focus();
});
