// Progressive enhancement: a "Copy the code" button on the receipt page. Without JavaScript the
// button stays hidden and the code can be selected and copied by hand.
for (const button of document.querySelectorAll('[data-copy-target]')) {
  const target = document.getElementById(button.dataset.copyTarget);
  const status = document.getElementById(button.dataset.copyStatus);
  if (!target || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      status.textContent = 'The receipt code is copied.';
    } catch {
      status.textContent = 'The code could not be copied: select it and copy it by hand.';
    }
  });
}
