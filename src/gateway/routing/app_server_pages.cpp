#include "routing/app_server_pages.h"

#include <array>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "common/text.h"

namespace oh::gateway::appserver_pages {
namespace {

using control::AppServerPhase;
using control::AppServerView;

// The page's own script and a fetch of the status, nothing else: no inline script, no other
// origin, never framed.
constexpr std::string_view kPageCsp =
    "default-src 'none'; script-src 'self'; connect-src 'self'; style-src 'unsafe-inline'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

// The start page's steps, in order, with what the user reads.
struct Step {
  AppServerPhase phase;
  std::string_view label;
};
constexpr std::array<Step, 4> kSteps{{
    {AppServerPhase::pulling, "Fetching OpenHands"},
    {AppServerPhase::creating, "Preparing your workspace"},
    {AppServerPhase::starting, "Starting your server"},
    {AppServerPhase::waiting, "Waiting for it to answer"},
}};

constexpr std::string_view kStyle =
    "body{font-family:system-ui,sans-serif;background:#f4f4f5;margin:0;display:flex;min-height:100vh;"
    "align-items:center;justify-content:center}"
    "main{background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px rgba(0,0,0,.15);width:24rem}"
    "h1{font-size:1.25rem;margin:0 0 1rem}ol{padding-left:1.25rem}li{margin:.4rem 0;color:#71717a}"
    "li.done{color:#15803d}li.done::after{content:\" \\2713\"}li.current{color:#18181b;font-weight:600}"
    "#detail{color:#52525b;font-size:.9rem;min-height:1.2em}.error{color:#b91c1c}";

// The step index of a phase on its way up (stopped counts as before the first step).
int stepIndex(AppServerPhase phase) {
  for (std::size_t i = 0; i < kSteps.size(); ++i) {
    if (kSteps[i].phase == phase) {
      return static_cast<int>(i);
    }
  }
  return phase == AppServerPhase::ready ? static_cast<int>(kSteps.size()) : -1;
}

ErrorReply base(unsigned status, std::string content_type, std::string body) {
  ErrorReply reply;
  reply.status = status;
  reply.content_type = std::move(content_type);
  reply.body = std::move(body);
  reply.headers.emplace_back("Cache-Control", "no-store");
  return reply;
}

ErrorReply html(unsigned status, std::string_view title, std::string_view head_extra, std::string body,
                std::chrono::seconds retry_after) {
  ErrorReply reply = base(status, "text/html; charset=utf-8",
                          fmt::format("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                                      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                                      "<meta name=\"referrer\" content=\"no-referrer\">\n<title>{}</title>\n"
                                      "<style>{}</style>\n{}</head>\n<body>\n<main>\n{}</main>\n</body>\n</html>\n",
                                      common::escapeHtml(title), kStyle, head_extra, body));
  reply.headers.emplace_back("Content-Security-Policy", std::string(kPageCsp));
  reply.headers.emplace_back("X-Frame-Options", "DENY");
  reply.headers.emplace_back("Retry-After", std::to_string(retry_after.count()));
  return reply;
}

ErrorReply startPage(const AppServerView& view) {
  const int current = stepIndex(view.phase);
  std::string steps;
  for (std::size_t i = 0; i < kSteps.size(); ++i) {
    const int index = static_cast<int>(i);
    const std::string_view state = index < current ? "done" : index == current ? "current" : "pending";
    steps += fmt::format("<li data-phase=\"{}\" class=\"{}\">{}</li>\n", control::phaseName(kSteps[i].phase), state,
                         kSteps[i].label);
  }
  std::string body = fmt::format(
      "<h1>Starting your OpenHands</h1>\n<p>Your own OpenHands server is starting. This page continues to it "
      "by itself.</p>\n<ol id=\"steps\">\n{}</ol>\n<p id=\"detail\" role=\"status\" aria-live=\"polite\">{}</p>\n",
      steps, common::escapeHtml(view.detail));
  // Without script the page reloads itself instead (each load asks again).
  const std::string head = fmt::format(
      "<script src=\"{}\" defer></script>\n<noscript><meta http-equiv=\"refresh\" content=\"{}\"></noscript>\n",
      kStartScriptPath, retryAfter(view.phase).count());
  return html(503, "Starting OpenHands", head, std::move(body), retryAfter(view.phase));
}

ErrorReply failedPage(const AppServerView& view) {
  const std::string why = view.detail.empty() ? std::string("The server did not start.") : view.detail;
  std::string body = fmt::format(
      "<h1>OpenHands could not start</h1>\n<p class=\"error\" role=\"alert\">{}</p>\n"
      "<p>The operator's log has the details. Reloading this page tries again after a short wait.</p>\n"
      "<p><a href=\"/\">Try again</a></p>\n",
      common::escapeHtml(why));
  return html(503, "OpenHands could not start", "", std::move(body), retryAfter(view.phase));
}

ErrorReply atCapacityPage(const AppServerView& view) {
  std::string body = fmt::format(
      "<h1>OpenHands is at capacity</h1>\n<p>Every server this deployment can run is in use, and none is idle. "
      "This page tries again every {} seconds; you can also ask your administrator to raise the limit.</p>\n"
      "<p><a href=\"/\">Try again now</a></p>\n",
      retryAfter(view.phase).count());
  const std::string head =
      fmt::format("<meta http-equiv=\"refresh\" content=\"{}\">\n", retryAfter(view.phase).count());
  return html(503, "OpenHands is at capacity", head, std::move(body), retryAfter(view.phase));
}

boost::json::object viewJson(const AppServerView& view) {
  boost::json::object o;
  o["phase"] = control::phaseName(view.phase);
  o["ready"] = view.phase == AppServerPhase::ready;
  o["detail"] = view.detail;
  o["since"] = std::chrono::duration_cast<std::chrono::seconds>(view.phase_since.time_since_epoch()).count();
  return o;
}

// The script: polls the status, ticks the steps off, and reloads into the app when the server is
// ready (or when it failed or is at capacity: the gateway's page says why). Every 250 ms for the
// page's first 10 s (a start's usual length: the user waits on the moment it is ready), then each
// second (a start that drags on costs the gateway 1 request/s per waiting user, not 4).
constexpr std::string_view kScript = R"JS("use strict";
(function () {
  var STATUS = "/_gateway/appserver/status";
  var order = ["pulling", "creating", "starting", "waiting"];
  var opened = Date.now();
  function nextPoll() { return Date.now() - opened < 10000 ? 250 : 1000; }
  function show(status) {
    var current = order.indexOf(status.phase);
    var items = document.querySelectorAll("#steps li");
    for (var i = 0; i < items.length; i++) {
      var at = order.indexOf(items[i].getAttribute("data-phase"));
      items[i].className = at < current ? "done" : at === current ? "current" : "pending";
    }
    var detail = document.getElementById("detail");
    if (detail) { detail.textContent = status.detail || ""; }
  }
  function poll() {
    fetch(STATUS, { credentials: "same-origin", cache: "no-store", headers: { "Accept": "application/json" } })
      .then(function (response) {
        if (response.status === 401) { location.reload(); return null; }
        return response.ok ? response.json() : null;
      })
      .then(function (status) {
        if (!status) { setTimeout(poll, 3000); return; }
        if (status.phase === "ready" || status.phase === "failed" || status.phase === "at_capacity") {
          location.reload();
          return;
        }
        if (status.phase === "stopped") { setTimeout(function () { location.reload(); }, 2000); return; }
        show(status);
        setTimeout(poll, nextPoll());
      })
      .catch(function () { setTimeout(poll, 3000); });
  }
  poll();
})();
)JS";

}  // namespace

std::chrono::seconds retryAfter(AppServerPhase phase) {
  switch (phase) {
    case AppServerPhase::failed: return std::chrono::seconds(30);
    case AppServerPhase::at_capacity: return std::chrono::seconds(30);
    default: return std::chrono::seconds(2);
  }
}

ErrorReply pageFor(const AppServerView& view) {
  switch (view.phase) {
    case AppServerPhase::failed: return failedPage(view);
    case AppServerPhase::at_capacity: return atCapacityPage(view);
    default: return startPage(view);
  }
}

ErrorReply notReadyJson(const AppServerView& view) {
  boost::json::object o = viewJson(view);
  o.erase("ready");
  o.erase("since");
  o["error"] = view.phase == AppServerPhase::at_capacity ? "app_server_at_capacity"
               : view.phase == AppServerPhase::failed    ? "app_server_failed"
                                                         : "app_server_starting";
  o["retry_after"] = retryAfter(view.phase).count();
  ErrorReply reply = base(503, "application/json", boost::json::serialize(o));
  reply.headers.emplace_back("Retry-After", std::to_string(retryAfter(view.phase).count()));
  return reply;
}

ErrorReply statusJson(const AppServerView& view) {
  return base(200, "application/json", boost::json::serialize(viewJson(view)));
}

ErrorReply startScript() {
  ErrorReply reply;
  reply.status = 200;
  reply.content_type = "text/javascript; charset=utf-8";
  reply.body = std::string(kScript);
  reply.headers.emplace_back("Cache-Control", "private, max-age=300");
  reply.headers.emplace_back("X-Content-Type-Options", "nosniff");
  return reply;
}

}  // namespace oh::gateway::appserver_pages
