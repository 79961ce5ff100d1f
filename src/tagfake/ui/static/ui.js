// tagfake dashboard: live journal rows, refreshing charts, copy buttons, auto-submitting filters.
"use strict";

function copyText(text, button) {
  const done = () => { const was = button.textContent; button.textContent = "copied"; setTimeout(() => { button.textContent = was; }, 1200); };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(done, () => fallbackCopy(text, done));
  } else {
    fallbackCopy(text, done);
  }
}

function fallbackCopy(text, done) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  try { document.execCommand("copy"); done(); } finally { area.remove(); }
}

// New journal entries, newest first, without a reload; expanded entries stay as they are.
function liveJournal(box) {
  const live = document.getElementById("live");
  let after = Number(box.dataset.after || 0);
  const url = box.dataset.liveUrl;
  async function poll() {
    if (live && !live.checked) return;
    const sep = url.includes("?") ? "&" : "?";
    try {
      const r = await fetch(url + sep + "after=" + after, { headers: { "X-Tagfake-Live": "1" }, credentials: "same-origin" });
      if (r.status === 401) { window.location.reload(); return; }  // signed out: to the login form
      if (!r.ok) return;
      const html = (await r.text()).trim();
      if (!html) return;
      box.insertAdjacentHTML("afterbegin", html);
      const empty = document.getElementById("journal-empty");
      if (empty) empty.remove();
      for (const el of box.querySelectorAll("details.entry")) after = Math.max(after, Number(el.dataset.id));
      box.dataset.after = String(after);
      const extra = box.querySelectorAll("details.entry");
      for (let i = 500; i < extra.length; i++) extra[i].remove();
    } catch (e) { /* the server may be restarting: try again on the next tick */ }
  }
  setInterval(poll, 1000);
}

function refreshing(box) {
  const ms = Number(box.dataset.refreshMs || 5000);
  setInterval(async () => {
    try {
      const r = await fetch(box.dataset.refreshUrl, { headers: { "X-Tagfake-Live": "1" }, credentials: "same-origin" });
      if (r.ok) box.innerHTML = await r.text();
    } catch (e) { /* next tick */ }
  }, ms);
}

document.addEventListener("click", (ev) => {
  const button = ev.target.closest("[data-copy]");
  if (button) { ev.preventDefault(); copyText(button.dataset.copy, button); }
});

document.addEventListener("submit", (ev) => {
  const question = ev.target.dataset.confirm;
  if (question && !window.confirm(question)) ev.preventDefault();
});

document.addEventListener("change", (ev) => {
  if (ev.target.matches("[data-autosubmit]")) ev.target.form.requestSubmit();
});

document.addEventListener("DOMContentLoaded", () => {
  const journal = document.getElementById("journal");
  if (journal && journal.dataset.liveUrl) liveJournal(journal);
  for (const box of document.querySelectorAll("[data-refresh-url]")) refreshing(box);
});
