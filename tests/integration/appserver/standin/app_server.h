#pragma once
// The stand-in's request handling: the routes of OpenHands 1.7.0's app server that the UI and
// the agent servers use with the remote sandbox service, each answering as the real route does
// (status codes and bodies), plus its middlewares' effects on every reply (CORS,
// Cache-Control). Transport, client address and rate limit live in server.h.

#include <memory>

#include "app_config.h"
#include "app_conversation_service.h"
#include "database.h"
#include "http_message.h"
#include "remote_sandbox_service.h"
#include "settings_store.h"

namespace oh::appserver_standin {

class AppServer {
public:
  AppServer(const AppConfig& config, Database& database, ProxySettings proxy);

  Response handle(const Request& request);

  AppConversationService& conversations() { return conversations_; }

private:
  Response route(const Request& request);
  Response appConversations(const Request& request, std::string_view rest);
  Response sandboxes(const Request& request, std::string_view rest);
  Response settings(const Request& request, std::string_view rest);
  Response webhooks(const Request& request, std::string_view rest);
  Response homePage();
  void applyMiddlewares(const Request& request, Response& response) const;
  bool originAllowed(const std::string& origin) const;

  const AppConfig& config_;
  Database& database_;
  RemoteSandboxService sandboxes_;
  SettingsStore settings_;
  AppConversationService conversations_;
};

// The minimal UI page: the user's conversations and a button that starts one (ui_page.cpp).
std::string homePageHtml(const boost::json::array& conversations);

}  // namespace oh::appserver_standin
