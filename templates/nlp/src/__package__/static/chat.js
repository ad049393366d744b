// The chat page: send each message to POST /api/chat and show the reply.
// Text goes into the page through textContent only (never as markup), so nothing a user or the
// bot writes is ever interpreted as HTML.
"use strict";

const log = document.getElementById("log");
const form = document.getElementById("chat");
const input = document.getElementById("message");

function addMessage(who, text, details) {
  const item = document.createElement("li");
  item.className = who;
  const bubble = document.createElement("p");
  bubble.textContent = text;
  item.appendChild(bubble);
  if (details) {
    const meta = document.createElement("small");
    meta.textContent = details;
    item.appendChild(meta);
  }
  log.appendChild(item);
  item.scrollIntoView({ block: "end" });
}

function describe(result) {
  const parts = [`intent: ${result.intent} (${Math.round(result.confidence * 100)}%)`];
  for (const entity of result.entities) parts.push(`${entity.label}: ${entity.text}`);
  return parts.join(" · ");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const message = input.value.trim();
  if (!message) return;
  addMessage("user", message);
  input.value = "";
  try {
    const response = await fetch("/api/chat", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ message }),
    });
    const result = await response.json();
    if (response.ok) addMessage("bot", result.reply, describe(result));
    else addMessage("bot error", `Error: ${result.error}`);
  } catch (error) {
    addMessage("bot error", `The server did not answer (${error}).`);
  }
  input.focus();
});
