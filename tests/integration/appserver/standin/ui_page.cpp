// The stand-in's page at "/": not OpenHands' React UI (the real image serves frontend/build,
// app.py:75-79), only enough of it for a browser test: the user's conversations, listed from
// the same search the UI's home page calls, and a button that starts one through the same API.

#include <boost/json/value.hpp>

#include "app_server.h"
#include "common/text.h"

namespace oh::appserver_standin {

namespace {

std::string text(const boost::json::object& object, std::string_view name) {
  const auto* value = object.if_contains(name);
  return value != nullptr && value->is_string() ? std::string(value->as_string()) : std::string();
}

constexpr std::string_view kScript = R"JS(
const button = document.getElementById('start');
const status = document.getElementById('status');
button.addEventListener('click', async () => {
  button.disabled = true;
  status.textContent = 'Starting…';
  const started = await fetch('/api/v1/app-conversations', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: '{}'});
  if (!started.ok) { status.textContent = 'Start failed: ' + started.status; button.disabled = false; return; }
  const task = await started.json();
  for (;;) {
    await new Promise(resolve => setTimeout(resolve, 1000));
    const polled = await fetch('/api/v1/app-conversations/start-tasks?ids=' + encodeURIComponent(task.id));
    const [current] = await polled.json();
    status.textContent = current ? current.status : 'unknown task';
    if (!current || current.status === 'READY' || current.status === 'ERROR') break;
  }
  location.reload();
});
)JS";

}  // namespace

std::string homePageHtml(const boost::json::array& conversations) {
  std::string html =
      "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>OpenHands (app-server stand-in)</title>"
      "</head><body><h1>My conversations</h1>"
      "<p><button id=\"start\" type=\"button\">Start a conversation</button> <span id=\"status\"></span></p>"
      "<table id=\"conversations\"><thead><tr><th>Title</th><th>Conversation</th><th>Sandbox</th><th>Status</th></tr>"
      "</thead><tbody>";
  for (const auto& item : conversations) {
    if (!item.is_object()) continue;
    const auto& conversation = item.as_object();
    html += "<tr class=\"conversation\" data-id=\"" + common::escapeHtml(text(conversation, "id")) + "\"><td>" +
            common::escapeHtml(text(conversation, "title")) + "</td><td>" + common::escapeHtml(text(conversation, "id")) + "</td><td>" +
            common::escapeHtml(text(conversation, "sandbox_id")) + "</td><td>" +
            common::escapeHtml(text(conversation, "sandbox_status")) + "</td></tr>";
  }
  html += "</tbody></table>";
  if (conversations.empty()) html += "<p id=\"empty\">No conversations yet.</p>";
  html += "<script>" + std::string(kScript) + "</script></body></html>";
  return html;
}

}  // namespace oh::appserver_standin
