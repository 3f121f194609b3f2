#include "runtime_gateway_fixture.h"

#include "auth/token_exchange.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

namespace oh::testing {

std::uint16_t unusedLocalPort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) {
    return 0;
  }
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_ANY);
  socklen_t length = sizeof address;
  std::uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  ::close(fd);
  return port;
}

std::string cookiePair(const RawResponse& response, std::string_view name) {
  for (const auto& field : response.headers) {
    if (!equalsIgnoreCase(field.name, "Set-Cookie")) {
      continue;
    }
    const std::string pair = field.value.substr(0, field.value.find(';'));
    if (pair.size() > name.size() && pair.compare(0, name.size(), name) == 0 && pair[name.size()] == '=') {
      return pair;
    }
  }
  return {};
}

void RuntimeGatewayBase::prepare() {
  if (auto why = PodmanService::unavailable()) {
    GTEST_SKIP() << *why;
  }
  binary_ = GatewayProcess::defaultBinary();
  if (binary_.empty()) {
    GTEST_SKIP() << "oh-gateway is not built";
  }
  podman_ = std::make_unique<PodmanService>();
  ASSERT_EQ(podman_->start(), std::nullopt);
  ASSERT_EQ(podman_->ensureImage(), std::nullopt);
  alice_ = randomConversationId();
  bob_ = randomConversationId();
  ASSERT_FALSE(podman_->createContainer(containerName(alice_), alice_, "alice").empty());
  ASSERT_FALSE(podman_->createContainer(containerName(bob_), bob_, "bob").empty());
  gateway_ = std::make_unique<GatewayProcess>(binary_);
}

void RuntimeGatewayBase::startGateway(std::string_view access, const std::string& auth_toml,
                                      const std::string& extra_toml) {
  const std::string toml = std::string("mode = \"local\"\n\n[server]\nlisten_address = \"127.0.0.1\"\nlisten_port = 0\n"
                                       "threads = 2\n\n[upstream]\nurl = \"") +
                           upstream_.url() +
                           "\"\n\n[origin]\nenabled = false\n\n[rate_limit]\nenabled = false\n\n"
                           "[admin]\nlisten_port = 0\n\n[log]\nlevel = \"info\"\naccess_log = true\n\n" + auth_toml +
                           "\n[runtime]\nenabled = true\nhost_suffixes = [\"" + std::string(kRuntimeSuffix) +
                           "\"]\ndocker_socket = \"" + podman_->socket() + "\"\naccess = \"" + std::string(access) +
                           "\"\nconnect_timeout_seconds = 2\n\n" + extra_toml;
  const auto failure = gateway_->start(toml);
  ASSERT_FALSE(failure.has_value()) << *failure;
  // The directory lists asynchronously: wait until it is ready (a generous deadline: another
  // build's runtime tests may load the shared Podman storage at the same time).
  ASSERT_TRUE(eventually(
      [&] {
        auto r = get(std::string(kMainHost), "/_gateway/ready");
        return r && r->status == 200;
      },
      std::chrono::seconds(60)))
      << gateway_->stderrText();
}

void RuntimeGatewayBase::startPublicGateway(const std::string& extra_toml) {
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  startGateway("public", "[auth]\nprovider = \"none\"\n", extra_toml);
}

void RuntimeGatewayBase::startOwnerGateway(const std::string& extra_toml) {
  if (IsSkipped() || HasFatalFailure()) {
    return;
  }
  const std::string users = (gateway_->dir() / "users").string();
  for (const char* name : {"alice", "bob"}) {
    const std::string command = "printf '%s\\n' '" + std::string(kPassword) + "' | '" + binary_ + "' users add " +
                                name + " --file '" + users + "' --password-stdin >/dev/null 2>&1";
    ASSERT_EQ(std::system(command.c_str()), 0) << command;
  }
  const auto key = gateway_->writeFile("cookie.key", std::string(64, 'a') + "\n");
  const auto ticket_key = gateway_->writeFile("ticket.key", std::string(64, 'b') + "\n");
  startGateway("owner",
               "[auth]\nprovider = \"local\"\ncookie_secure = false\ncookie_key_file = \"" + key.string() +
                   "\"\nticket_key_file = \"" + ticket_key.string() + "\"\nusers_file = \"" + users + "\"\n",
               extra_toml);
}

void RuntimeGatewayBase::TearDown() {
  if (gateway_) {
    gateway_->stop();
  }
  podman_.reset();
}

std::string RuntimeGatewayBase::host(unsigned port, const std::string& conversation) {
  return std::to_string(port) + "-" + conversation + "." + std::string(kRuntimeSuffix);
}

std::optional<RawResponse> RuntimeGatewayBase::get(const std::string& host_header, std::string_view target,
                                                   const Headers& headers) {
  return simpleRequest(gateway_->port(), "GET", target, headers, {}, host_header);
}

std::string RuntimeGatewayBase::signIn(const std::string& name) {
  auto page = get(std::string(kMainHost), "/_gateway/login?rd=%2F", {{"Accept", "text/html"}});
  if (!page || page->status != 200) {
    ADD_FAILURE() << "login page: " << (page ? page->status : 0);
    return {};
  }
  const std::string csrf = cookiePair(*page, "oh_login_csrf");
  const std::string form = "username=" + name + "&password=" + gateway::auth::formEncode(kPassword) +
                           "&rd=%2F&csrf=" + gateway::auth::formEncode(csrf.substr(csrf.find('=') + 1));
  auto posted = simpleRequest(gateway_->port(), "POST", "/_gateway/login",
                              {{"Content-Type", "application/x-www-form-urlencoded"},
                               {"Accept", "text/html"},
                               {"Sec-Fetch-Mode", "navigate"},
                               {"Cookie", csrf}},
                              form, std::string(kMainHost));
  if (!posted || posted->status != 302) {
    ADD_FAILURE() << "login post: " << (posted ? posted->status : 0) << " " << (posted ? posted->body : "");
    return {};
  }
  return cookiePair(*posted, "oh_session");
}

Visit RuntimeGatewayBase::visit(const std::string& session, const std::string& start_host, const std::string& target) {
  Visit result;
  std::string current_host = start_host;
  std::string current_target = target;
  for (int hop = 0; hop < 6; ++hop) {
    Headers headers = {{"Accept", "text/html"}, {"Sec-Fetch-Mode", "navigate"}};
    if (current_host == kMainHost) {
      headers.push_back({"Cookie", session});
    } else if (!result.runtime_cookie.empty()) {
      headers.push_back({"Cookie", result.runtime_cookie});
    }
    auto r = get(current_host, current_target, headers);
    if (!r) {
      result.status = 0;
      return result;
    }
    if (current_host != kMainHost && result.runtime_cookie.empty()) {
      result.runtime_cookie = cookiePair(*r, "oh_runtime");
    }
    result.status = r->status;
    result.body = r->body;
    if (r->status != 302) {
      return result;
    }
    const std::string location = r->header("Location").value_or("");
    const std::size_t scheme = location.find("://");
    if (scheme != std::string::npos) {
      const std::size_t path_at = location.find('/', scheme + 3);
      current_host = location.substr(scheme + 3, path_at - scheme - 3);
      current_target = path_at == std::string::npos ? "/" : location.substr(path_at);
    } else {
      current_target = location;
    }
  }
  return result;
}

}  // namespace oh::testing
