#include "encryption_keys.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/digest.h"
#include "database.h"
#include "identifiers.h"

namespace oh::appserver_standin {

namespace json = boost::json;
using common::failure;


common::Result<MasterKey> ensureMasterKey(const AppConfig& config) {
  if (config.jwt_secret) return MasterKey{base62Encode(common::sha256(*config.jwt_secret)), "JWT_SECRET"};
  const std::string path = config.persistence_dir + "/.keys";
  if (std::ifstream in(path, std::ios::binary); in) {
    std::ostringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    const auto keys = json::parse(text.str(), ec);
    if (ec || !keys.is_array() || keys.as_array().empty() || !keys.as_array()[0].is_object() ||
        !keys.as_array()[0].as_object().contains("id") || !keys.as_array()[0].at("id").is_string()) {
      return failure(path + " is not a list of encryption keys");
    }
    return MasterKey{std::string(keys.as_array()[0].at("id").as_string()), ".keys"};
  }
  const json::array keys{json::object{{"id", randomBase62(32)},
                                      {"key", randomBase62(32)},
                                      {"active", true},
                                      {"notes", "generated master key"},
                                      {"created_at", nowTimestamp()}}};
  const mode_t previous = ::umask(077);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << json::serialize(keys);
  out.close();
  ::umask(previous);
  if (!out) return failure("cannot write " + path);
  return MasterKey{std::string(keys[0].at("id").as_string()), "generated"};
}

}  // namespace oh::appserver_standin
