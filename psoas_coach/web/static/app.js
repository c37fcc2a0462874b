// Psoas Coach pages: confirmations, upload size check, live job status, review form.
"use strict";

function confirmForms() {
  document.querySelectorAll("form[data-confirm]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      if (!window.confirm(form.dataset.confirm)) event.preventDefault();
    });
  });
}

function checkUploadSize() {
  document.querySelectorAll("form.upload[data-max-bytes]").forEach((form) => {
    form.addEventListener("submit", (event) => {
      const limit = Number(form.dataset.maxBytes);
      const input = form.querySelector("input[type=file]");
      for (const file of input.files) {
        if (file.size > limit) {
          event.preventDefault();
          window.alert(`${file.name}: file too large (limit ${Math.round(limit / 1e6)} MB).`);
          return;
        }
      }
      form.querySelector("button[type=submit]").disabled = true;
      form.classList.add("sending");
    });
  });
}

const LABELS = {
  queued: "queued", running: "analysing", done: "analysed", failed: "failed", cancelled: "cancelled",
};
const CLASSES = { queued: "wait", running: "busy", done: "ok", failed: "bad", cancelled: "muted" };

function showJob(job) {
  const box = document.querySelector(`[data-job="${job.id}"]`);
  if (!box) return false;
  const badge = box.querySelector(".badge");
  badge.textContent = LABELS[job.status];
  badge.className = `badge ${CLASSES[job.status]}`;
  badge.dataset.status = job.status;
  const bar = box.querySelector("progress");
  if (bar) bar.value = job.progress;
  const step = box.querySelector(".step");
  if (step) step.textContent = job.step;
  return true;
}

// Reload the page to show finished results, dropping a one-time notice ("Upload received")
// that no longer holds once the analyses are done.
function reloadWithoutNotice() {
  const url = new URL(window.location.href);
  const had = url.searchParams.has("notice");
  url.searchParams.delete("notice");
  if (had) window.location.replace(url.toString());
  else window.location.reload();
}

function pollSession() {
  const section = document.getElementById("recordings");
  if (!section || section.dataset.active !== "yes") return;
  const url = `/api/sessions/${section.dataset.session}/status`;
  const tick = async () => {
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) throw new Error(String(response.status));
      const status = await response.json();
      const known = status.jobs.every(showJob);
      if (status.finished || !known) {
        reloadWithoutNotice();
        return;
      }
    } catch (error) {
      // network hiccup or server restart: try again shortly
    }
    window.setTimeout(tick, 1500);
  };
  window.setTimeout(tick, 1000);
}

function reviewForms() {
  document.querySelectorAll("details.review-edit form").forEach((form) => {
    const choices = form.querySelector(".fault-choices");
    const sync = () => {
      const override = form.querySelector("input[name=verdict][value=overridden]").checked;
      choices.classList.toggle("disabled", !override);
      choices.querySelectorAll("input").forEach((box) => { box.disabled = !override; });
    };
    form.querySelectorAll("input[name=verdict]").forEach((radio) => radio.addEventListener("change", sync));
    sync();
  });
}

document.addEventListener("DOMContentLoaded", () => {
  confirmForms();
  checkUploadSize();
  pollSession();
  reviewForms();
});
