// The verdict summary's filters (robustbook.verdicts.render(..., filters=True)): show the rows of one paper
// and/or one outcome. Rows carry data-paper and data-outcome; the selects carry data-filter.
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll(".rb-verdict-filters").forEach((bar) => {
    const table = bar.nextElementSibling;
    if (!table || !table.matches("table.rb-verdicts")) return;
    const selects = bar.querySelectorAll("select[data-filter]");
    const apply = () => {
      const want = {};
      selects.forEach((s) => { want[s.dataset.filter] = s.value; });
      table.querySelectorAll("tbody tr").forEach((row) => {
        const shown = Object.entries(want).every(([key, value]) => !value || row.dataset[key] === value);
        row.style.display = shown ? "" : "none";
      });
    };
    selects.forEach((s) => s.addEventListener("change", apply));
  });
});
