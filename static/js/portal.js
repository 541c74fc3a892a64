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
