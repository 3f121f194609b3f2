#include "multi_user_bed.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "sandbox/user_key.h"
#include "support/free_port.h"
#include "standin_image.h"

namespace oh::testing {
namespace {

namespace json = boost::json;

constexpr std::string_view kPassword = "multi-user-test-password";
constexpr std::string_view kRuntimeSuffix = "runtime.oh.test";

std::string randomHex(std::size_t digits) {
  std::random_device device;
  std::string out;
  for (std::size_t i = 0; i < digits; ++i) out.push_back("0123456789abcdef"[device() % 16]);
  return out;
}

void writePrivate(const std::filesystem::path& file, const std::string& contents) {
  std::ofstream(file, std::ios::binary | std::ios::trunc) << contents;
  ::chmod(file.c_str(), 0600);
}

int run(const std::string& command) { return std::system((command + " >/dev/null 2>&1").c_str()); }

json::value parseOrNull(const std::string& text) {
  boost::system::error_code ec;
  auto value = json::parse(text, ec);
  return ec ? json::value() : value;
}

std::string labelFilter(const std::string& label) {
  std::string encoded;
  for (char c : "{\"label\":[\"" + label + "\"]}") {
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') {
      encoded.push_back(c);
    } else {
      char hex[4];
      std::snprintf(hex, sizeof hex, "%%%02X", static_cast<unsigned char>(c));
      encoded += hex;
    }
  }
  return encoded;
}

}  // namespace

std::optional<std::string> MultiUserBed::unavailable() {
  if (auto why = PodmanService::unavailable()) return why;
  if (::geteuid() != 0) return "needs root (an address on lo, rootful Podman, as CI)";
  if (GatewayProcess::defaultBinary().empty()) return "oh-gateway is not built";
  return std::nullopt;
}

MultiUserBed::~MultiUserBed() {
  if (gateway_) gateway_->stop(std::chrono::seconds(5));
  if (podman_ && podman_->running()) {
    removeEveryContainer();
    for (const BedUser& user : users_) podman_->api("DELETE", "/networks/" + network_prefix_ + user.user_key);
    if (!appserver_image_.empty() && appserver_image_ != standinImage()) {
      podman_->api("DELETE", "/images/" + appserver_image_ + "?force=true");
    }
    podman_->stop();
  }
  postgres_.reset();
  if (address_added_) run("ip addr del " + host_address_ + "/32 dev lo");
  if (!dir_.empty() && std::getenv("OH_KEEP_TEST_DIR") == nullptr) {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
}

// 169.254.213.x on lo: reachable from every bridge network, like the deployments' dummy address.
std::optional<std::string> MultiUserBed::pickHostAddress() {
  std::random_device device;
  for (int attempt = 0; attempt < 20; ++attempt) {
    const std::string candidate = "169.254.213." + std::to_string(10 + device() % 240);
    if (run("ip addr add " + candidate + "/32 dev lo") == 0) {
      host_address_ = candidate;
      address_added_ = true;
      return std::nullopt;
    }
  }
  return "could not add a 169.254.213.x address to lo";
}

// The stand-in's image with the sandboxes' image set (the real one's default,
// sandbox_spec_service.py, is not here): the one thing the gateway does not give app servers.
std::optional<std::string> MultiUserBed::buildAppServerImage() {
  if (auto failed = ensureStandinImage(*podman_)) return failed;
  appserver_image_ = "localhost/oh-e2e-appserver:" + suffix_;
  const std::filesystem::path containerfile = dir_ / "Containerfile";
  const std::string& image = PodmanService::image();
  std::ofstream(containerfile) << "FROM " << standinImage() << "\n"
                               << "ENV AGENT_SERVER_IMAGE_REPOSITORY=" << image.substr(0, image.rfind(':')) << "\n"
                               << "ENV AGENT_SERVER_IMAGE_TAG=" << image.substr(image.rfind(':') + 1) << "\n";
  if (run("podman build --pull=never -t " + appserver_image_ + " -f " + containerfile.string() + " " + dir_.string()) != 0) {
    return "podman build of " + appserver_image_ + " failed";
  }
  return std::nullopt;
}

std::optional<std::string> MultiUserBed::writeKeysAndUsers(const std::vector<std::string>& names) {
  for (const char* key : {"cookie.key", "ticket.key", "sandbox.key", "seal.key", "appserver.key"}) {
    writePrivate(dir_ / key, randomHex(64) + "\n");
  }
  writePrivate(dir_ / "users", "");
  for (const std::string& name : names) {
    const std::string command = "printf '%s\\n' '" + std::string(kPassword) + "' | '" + GatewayProcess::defaultBinary() +
                                "' users add " + name + " --file '" + (dir_ / "users").string() + "' --password-stdin";
    if (run(command) != 0) return "oh-gateway users add " + name + " failed";
    BedUser user;
    user.name = name;
    user.user_key = control::userKeyForSubject(name);
    users_.push_back(std::move(user));
  }
  return std::nullopt;
}

std::optional<std::string> MultiUserBed::start(const std::vector<std::string>& user_names,
                                               std::chrono::seconds idle_timeout) {
  idle_timeout_ = idle_timeout;
  std::string pattern = (std::filesystem::temp_directory_path() / "oh-multiuser-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return "mkdtemp failed";
  dir_ = pattern;
  suffix_ = randomHex(8);
  // Each test its own labels and networks: tests share Podman's storage, and a gateway removes
  // the containers of its label it does not know.
  sandbox_label_ = "e2e-sb-" + suffix_;
  appserver_label_ = "e2e-as-" + suffix_;
  network_prefix_ = "oh-e2e" + suffix_ + "-";
  std::filesystem::create_directories(dir_ / "workspaces");
  std::filesystem::create_directories(dir_ / "users.d");
  if (auto failed = pickHostAddress()) return failed;

  std::string error;
  postgres_ = PrivatePostgres::start(error, host_address_);
  if (!postgres_) return error;
  if (postgres_->createDatabase("sandboxes", error).empty()) return error;
  const std::string admin_password = randomHex(32);
  if (auto failed = postgres_->execute("postgres", "ALTER ROLE postgres PASSWORD '" + admin_password + "'"); !failed.empty()) {
    return failed;
  }
  writePrivate(dir_ / "postgres.password", admin_password + "\n");

  podman_ = std::make_unique<PodmanService>();
  if (auto failed = podman_->start()) return failed;
  if (auto failed = podman_->ensureImage()) return failed;
  if (auto failed = buildAppServerImage()) return failed;
  if (auto failed = writeKeysAndUsers(user_names)) return failed;
  gateway_port_ = freeTcpPortOn("127.0.0.1");
  sandbox_api_port_ = freeTcpPortOn(host_address_);
  if (gateway_port_ == 0 || sandbox_api_port_ == 0) return "no free ports";
  return startGateway();
}

std::string MultiUserBed::toml() const {
  const std::string d = dir_.string();
  const std::string pg = host_address_ + ":" + std::to_string(postgres_->tcpPort());
  std::ostringstream out;
  // What deploy/local/write-config.sh --multi-user writes, on test addresses and ports.
  out << "mode = \"local\"\n"
      << "[server]\nlisten_address = \"127.0.0.1\"\nlisten_port = " << gateway_port_ << "\n"
      << "[admin]\nenabled = true\nlisten_address = \"127.0.0.1\"\nlisten_port = 0\n"
      << "[origin]\nenabled = false\n"
      << "[log]\naccess_log = true\n"
      << "[auth]\nprovider = \"local\"\nusers_file = \"" << d << "/users\"\ncookie_secure = false\n"
      << "cookie_key_file = \"" << d << "/cookie.key\"\nticket_key_file = \"" << d << "/ticket.key\"\n"
      << "[runtime]\nenabled = true\nhost_suffixes = [\"" << kRuntimeSuffix << "\"]\n"
      << "docker_socket = \"" << podman_->socket() << "\"\naccess = \"owner\"\n"
      << "[sandbox]\nenabled = true\nlisten_address = \"" << host_address_ << "\"\nlisten_port = " << sandbox_api_port_ << "\n"
      << "key_file = \"" << d << "/sandbox.key\"\nseal_key_file = \"" << d << "/seal.key\"\n"
      << "store_url = \"" << postgres_->urlFor("sandboxes") << "\"\n"
      << "allowed_images = [\"" << PodmanService::image() << "\"]\n"
      << "workspace_root = \"" << d << "/workspaces\"\n"
      << "public_scheme = \"http\"\nruntime_suffix = \"" << kRuntimeSuffix << "\"\npublic_port = " << gateway_port_ << "\n"
      << "network_prefix = \"" << network_prefix_ << "\"\nmanaged_label_value = \"" << sandbox_label_ << "\"\n"
      << "stop_grace_seconds = 2\n"
      << "[sandbox.limits]\ncpus = 0.5\nmemory_mb = 256\npids = 128\n"
      << "[appserver]\nenabled = true\nimage = \"" << appserver_image_ << "\"\nopenhands_version = \"1.7.0\"\n"
      << "data_root = \"" << d << "/users.d\"\nweb_url = \"http://oh.test\"\n"
      << "secret_key_file = \"" << d << "/appserver.key\"\nmanaged_label_value = \"" << appserver_label_ << "\"\n"
      << "database_url = \"postgresql://postgres@" << pg << "/postgres\"\n"
      << "database_password_file = \"" << d << "/postgres.password\"\n"
      << "pass_environment = [\"LLM_MODEL\"]\n"
      << "idle_timeout_seconds = " << idle_timeout_.count() << "\n"
      << "start_timeout_seconds = 240\nretry_delay_seconds = 2\n"
      << "cpus = 0.5\nmemory_mb = 256\npids = 256\n";
  return out.str();
}

std::optional<std::string> MultiUserBed::startGateway() {
  gateway_ = std::make_unique<GatewayProcess>(GatewayProcess::defaultBinary());
  ::setenv("LLM_MODEL", "e2e-test-model", 1);
  if (auto failed = gateway_->start(toml(), std::chrono::seconds(60))) return failed;
  admin_port_ = gateway_->adminPort();
  for (BedUser& user : users_) {
    if (!user.browser) user.browser = std::make_unique<Browser>(gateway_port_, "oh.test");
  }
  return std::nullopt;
}

void MultiUserBed::stopGateway() {
  if (gateway_) gateway_->stop();
}

void MultiUserBed::killGateway() {
  if (!gateway_) return;
  gateway_->signal(SIGKILL);
  gateway_->waitForExit(std::chrono::seconds(30));
}

std::optional<std::string> MultiUserBed::signIn(BedUser& user) {
  Browser& browser = *user.browser;
  const auto page = browser.navigate("/_gateway/login?rd=%2F");
  if (!page || page->status != 200) {
    return "the login page did not answer 200: " + (page ? std::to_string(page->status) + " " + page->body : "no answer") +
           "\n" + gateway_->stdoutText();
  }
  const std::string csrf = browser.jar()["oh_login_csrf"];
  const auto posted = browser.post("/_gateway/login", "username=" + user.name + "&password=" +
                                                          std::string(kPassword) + "&rd=%2F&csrf=" + csrf);
  if (!posted || posted->status != 302 || browser.jar().count("oh_session") == 0) {
    return "sign-in of " + user.name + " failed: " + (posted ? std::to_string(posted->status) + " " + posted->body : "no answer");
  }
  return std::nullopt;
}

std::string MultiUserBed::admin(const std::string& path) const {
  const auto answer = tcpGet("127.0.0.1", gateway_->adminPort(), path, std::chrono::seconds(10));
  return answer.status == 200 ? answer.body : std::string();
}

double MultiUserBed::metric(const std::string& sample) const {
  std::istringstream lines(admin("/metrics"));
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind(sample + " ", 0) == 0) return std::stod(line.substr(sample.size() + 1));
  }
  return -1;
}

std::vector<json::value> MultiUserBed::containersLabelled(const std::string& value) const {
  std::vector<json::value> out;
  const auto listed = parseOrNull(
      podman_->api("GET", "/containers/json?all=true&filters=" + labelFilter("org.openhands.managed=" + value)).body);
  if (!listed.is_array()) return out;
  for (const auto& container : listed.as_array()) {
    auto inspected = parseOrNull(podman_->api("GET", "/containers/" + std::string(container.at("Id").as_string()) + "/json").body);
    if (inspected.is_object()) out.push_back(std::move(inspected));
  }
  return out;
}

json::value MultiUserBed::appServerContainer(const BedUser& user) const {
  const auto answer = podman_->api("GET", "/containers/oh-appserver-" + user.user_key + "/json");
  return answer.status == 200 ? parseOrNull(answer.body) : json::value();
}

std::string MultiUserBed::appServerLog(const BedUser& user) const {
  return podman_->api("GET", "/containers/oh-appserver-" + user.user_key + "/logs?stdout=true&stderr=true").body;
}

json::value MultiUserBed::sandboxContainer(const std::string& sandbox_id) const {
  const auto listed = parseOrNull(
      podman_->api("GET", "/containers/json?all=true&filters=" + labelFilter("org.openhands.sandbox-id=" + sandbox_id)).body);
  if (!listed.is_array() || listed.as_array().size() != 1) return {};
  const std::string id(listed.as_array()[0].at("Id").as_string());
  return parseOrNull(podman_->api("GET", "/containers/" + id + "/json").body);
}

int MultiUserBed::exec(const std::string& container, const std::string& script) const {
  const json::object body{{"Cmd", json::array{"sh", "-c", script}}, {"AttachStdout", true}, {"AttachStderr", true}};
  const auto created = parseOrNull(podman_->api("POST", "/containers/" + container + "/exec", json::serialize(body)).body);
  if (!created.is_object() || !created.as_object().contains("Id")) return -1;
  const std::string id(created.at("Id").as_string());
  // Attached: the call returns when the command has ended (a detached exec reads as running).
  podman_->api("POST", "/exec/" + id + "/start", R"({"Detach":false})");
  const auto state = parseOrNull(podman_->api("GET", "/exec/" + id + "/json").body);
  if (!state.is_object() || state.at("Running").as_bool()) return -1;
  return static_cast<int>(state.at("ExitCode").to_number<std::int64_t>());
}

std::size_t MultiUserBed::removeEveryContainer() const {
  std::size_t removed = 0;
  for (const std::string& label : {sandbox_label_, appserver_label_}) {
    for (const json::value& container : containersLabelled(label)) {
      if (podman_->api("DELETE", "/containers/" + std::string(container.at("Id").as_string()) + "?force=true").status < 300) {
        ++removed;
      }
    }
  }
  return removed;
}

}  // namespace oh::testing
