#pragma once
// Conversations as OpenHands 1.7.0's LiveStatusAppConversationService ("LS",
// app_conversation/live_status_app_conversation_service.py) runs them with the remote sandbox
// service: a start is a start task saved at every step and worked on after the reply (the
// router answers with the first task: app_conversation_router.py:359-406); the task starts a
// sandbox (NO_GROUPING: one per conversation, LS:621-636, 755-771), waits for it running and
// its agent server alive, then POSTs {url}/api/conversations and records the conversation with
// its sandbox_id (LS:296-429). Listing joins the records with their sandboxes (LS:443-610).

#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>

#include "common/result.h"
#include "database.h"
#include "remote_sandbox_service.h"
#include "settings_store.h"

namespace oh::appserver_standin {

class AppConversationService {
public:
  AppConversationService(Database& database, RemoteSandboxService& sandboxes, SettingsStore& settings,
                         const AppConfig& config);

  // The first start task (status WORKING), already saved; the rest runs on its own thread.
  // The request is the AppConversationStartRequest JSON (validated by the handler).
  common::Result<boost::json::value> start(const boost::json::object& request);
  // GET /start-tasks?ids= (router:947-963): each task or null.
  common::Result<boost::json::array> batchGetStartTasks(const std::vector<std::string>& uuid_hexes);
  // GET /app-conversations?ids= (router:321-356): each AppConversation or null.
  common::Result<boost::json::array> batchGet(const std::vector<std::string>& uuid_hexes);
  // GET /app-conversations/search (router:218-277): {items, next_page_id}, newest first.
  common::Result<boost::json::object> search(const std::optional<std::string>& sandbox_id, bool include_sub_conversations,
                                             const std::optional<std::string>& page_id, int limit);
  // The webhook's upsert of a conversation reported by its agent server (webhook_router.py:298-386).
  common::Result<bool> recordFromWebhook(const std::string& uuid_hex, const SandboxInfo& sandbox,
                                         const std::optional<std::string>& llm_model);
  // The stored conversation's sandbox id, or nullopt when unknown (webhook_router.py:275-295).
  common::Result<std::optional<std::string>> sandboxOf(const std::string& uuid_hex);

  // Waits for every start thread (tests; main never returns).
  void joinStarts();

private:
  void runStart(boost::json::object task);
  common::Result<bool> saveTask(const boost::json::object& task);
  common::Result<std::vector<boost::json::value>> build(const std::vector<std::optional<SqlRow>>& rows);
  boost::json::object startConversationRequest(const std::string& conversation_hex, const boost::json::object& request);

  Database& database_;
  RemoteSandboxService& sandboxes_;
  SettingsStore& settings_;
  const AppConfig& config_;
  std::mutex threads_mutex_;
  std::vector<std::thread> threads_;
};

}  // namespace oh::appserver_standin
